using Microsoft.Extensions.Logging.Abstractions;
using Notify.Server.Realtime.Grip;

namespace Notify.Server.Tests.Realtime.Grip;

public class GripPublisherTests
{
    [Fact]
    public async Task PublishAsync_ConcurrentWhileAPostIsInFlight_GoInOneNextPost()
    {
        await using var control = await FakePushpinControl.StartAsync(gated: true);
        await using var publisher = new GripPublisher(new HttpClient(), new GripOptions { ControlUri = control.BaseAddress, Key = GripSignatureTests.Key },
            NullLogger<GripPublisher>.Instance);

        var first = publisher.PublishAsync(new GripItem("device:d0", "{}"u8.ToArray(), null));
        await control.FirstPostArrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var rest = Enumerable.Range(1, 50).Select(i => publisher.PublishAsync(new GripItem($"device:d{i}", "{}"u8.ToArray(), null))).ToList();
        control.Gate.SetResult();

        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.All(await Task.WhenAll(rest).WaitAsync(TimeSpan.FromSeconds(20)), Assert.True);
        Assert.Equal([1, 50], control.PostSizes.ToArray());
    }

    [Fact]
    public async Task PublishAsync_PushpinUnreachable_CompletesFalse()
    {
        var closedPort = new Uri("http://127.0.0.1:1/");
        await using var publisher = new GripPublisher(new HttpClient(), new GripOptions { ControlUri = closedPort, Key = GripSignatureTests.Key },
            NullLogger<GripPublisher>.Instance);

        Assert.False(await publisher.PublishAsync(new GripItem("device:d1", "{}"u8.ToArray(), null)).WaitAsync(TimeSpan.FromSeconds(20)));
    }
}
