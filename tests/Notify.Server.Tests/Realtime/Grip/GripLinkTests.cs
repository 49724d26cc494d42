using Microsoft.Extensions.Time.Testing;
using Notify.Server.Realtime.Grip;

namespace Notify.Server.Tests.Realtime.Grip;

public class GripLinkTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private static GripEdge Edge(string key = GripSignatureTests.Key)
    {
        var options = new GripOptions { ControlUri = new Uri("http://127.0.0.1:5561/"), Key = key };
        return new GripEdge(options, new GripSignature(key, "pushpin", new FakeTimeProvider(T0)));
    }

    [Fact]
    public void VerifyLink_SignedByANodeWithTheSameKey_GivesTheDevice()
    {
        Assert.Equal("dev_1", Edge().VerifyLink(Edge().SignLink("dev_1", T0), T0.AddMinutes(5)));
    }

    [Fact]
    public void VerifyLink_OtherDeviceWrittenIntoTheLink_IsRefused()
    {
        var link = Edge().SignLink("dev_1", T0);
        Assert.Null(Edge().VerifyLink("dev_2" + link["dev_1".Length..], T0));
    }

    [Fact]
    public void VerifyLink_SignedWithAnotherKey_IsRefused()
    {
        Assert.Null(Edge().VerifyLink(Edge("another-key-0123456789-0123456789-012345").SignLink("dev_1", T0), T0));
    }

    [Fact]
    public void VerifyLink_Expired_IsRefused()
    {
        Assert.Null(Edge().VerifyLink(Edge().SignLink("dev_1", T0), T0.AddHours(1)));
    }
}
