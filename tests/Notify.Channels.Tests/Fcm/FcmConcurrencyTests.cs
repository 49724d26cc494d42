using Notify.Engine.Channels;

namespace Notify.Channels.Tests.Fcm;

public sealed class FcmConcurrencyTests
{
    [Fact]
    public async Task SendAsync_MoreSendsThanSlots_AtMostMaxConcurrencyInFlight()
    {
        await using var host = await FcmTestHost.StartAsync(o => o.MaxConcurrency = 3);
        await host.Provider.SendAsync(FcmTestHost.Alert()); // token fetched first, so every send goes straight out
        host.Server.Hold();

        var sends = Enumerable.Range(0, 10).Select(i => host.Provider.SendAsync(FcmTestHost.Alert(token: $"device-{i}"))).ToList();
        // Every send has taken a slot or queued for one by now (SendAsync queues synchronously). Three are held in
        // the server, so no slot frees until Release: the other seven cannot be in flight.
        await host.Server.WaitForArrivalsAsync(1 + 3);
        Assert.Equal(3, host.Server.InFlight);
        Assert.All(sends, s => Assert.False(s.IsCompleted));
        host.Server.Release();
        var results = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(results, r => FcmTestHost.AssertOutcome(SendOutcome.Sent, r));
        Assert.Equal(3, host.Server.MaxInFlight);
        Assert.Equal(11, host.Server.Requests.Count);
    }
}
