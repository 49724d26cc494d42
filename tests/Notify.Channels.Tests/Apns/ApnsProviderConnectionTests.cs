using Microsoft.Extensions.Logging.Abstractions;
using Notify.Channels.Apns;
using Notify.Engine.Channels;
using Notify.Engine.Model;

namespace Notify.Channels.Tests.Apns;

/// <summary>Connections are kept and reused (Apple treats churn as abuse); endpoints follow the registration.</summary>
public sealed class ApnsProviderConnectionTests
{
    [Fact]
    public async Task SendAsync_ManySends_ShareOneConnection()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();
        await provider.SendAsync(ApnsHarness.Alert());

        for (var i = 0; i < 20; i++) await provider.SendAsync(ApnsHarness.Alert());
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => provider.SendAsync(ApnsHarness.Alert())));

        Assert.All(concurrent, r => Assert.Equal(SendOutcome.Sent, r.Outcome));
        Assert.Equal(71, h.Server.Delivered.Count);
        Assert.Equal(1, h.Server.ConnectionCount);
    }

    [Theory]
    [InlineData("sandbox", "https://api.sandbox.push.apple.com/")]
    [InlineData("development", "https://api.sandbox.push.apple.com/")]
    [InlineData("Development", "https://api.sandbox.push.apple.com/")]
    [InlineData("production", "https://api.push.apple.com/")]
    [InlineData(null, "https://api.push.apple.com/")]
    public async Task EndpointFor_NoEndpointConfigured_FollowsRegistrationEnvironment(string? environment, string expected)
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Options.Endpoint = null;
        var provider = h.CreateProvider();

        Assert.Equal(new Uri(expected), provider.EndpointFor(new PushRegistration("apns", "ab", null, environment)));
    }

    [Fact]
    public async Task EndpointFor_EndpointConfigured_WinsOverEnvironment()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();

        Assert.Equal(h.Server.BaseUri, provider.EndpointFor(new PushRegistration("apns", "ab", null, "sandbox")));
    }

    [Fact]
    public async Task Constructor_InvalidOptions_ThrowsWithEveryProblem()
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Options.TeamId = null;
        h.Options.TokenLifetime = TimeSpan.FromMinutes(55);

        var e = Assert.Throws<InvalidOperationException>(() =>
            new ApnsProvider(h.Options, h.Clock, NullLogger<ApnsProvider>.Instance));

        Assert.Contains("Channels:Apns:TeamId", e.Message);
        Assert.Contains("Channels:Apns:TokenLifetime", e.Message);
    }
}
