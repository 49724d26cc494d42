using Notify.Engine.Notifications.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Notify.Client;
using Notify.Engine.Notifications;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Notifications;

/// <summary>Two nodes on one store both hold the same durable timer: exactly one firing takes effect. A node's own timers due
/// soon are stored leased to it.</summary>
public sealed class SharedTimerTests
{
    private const string BestThenAll = """
        name: default
        ttl: 1h
        steps:
          - to: best
            via: inApp
            wait: 2m
          - to: all
            via: inApp
        """;

    [Fact]
    public async Task FireAsync_TwoNodesFireTheSameFollowUp_OnlyOneTakesEffect()
    {
        var folder = Directory.CreateTempSubdirectory("notify-shared-").FullName;
        try
        {
            await using var nodeA = new NotifyTestServer(rules: new Dictionary<string, string> { ["default.yaml"] = BestThenAll }, directory: folder);
            await using var nodeB = new NotifyTestServer(directory: folder);
            await using var ana = await Scenario.CreateAsync(nodeA);
            await ana.RegisterAsync("laptop", Platform.Desktop);
            await ana.RegisterAsync("phone", Platform.Android);
            var sent = await ana.NotifyAsync();

            var store = nodeA.Services.GetRequiredService<INotifyStore>();
            var timers = await store.GetTimersDueBeforeAsync(DateTimeOffset.MaxValue, 10);
            var followUp = Assert.Single(timers, t => t.Kind == TimerKind.FollowUp);

            // Both nodes fire it at once, each under its own lock, as two processes would.
            await Task.WhenAll(
                nodeA.Services.GetRequiredService<TimerHandler>().FireAsync(followUp),
                nodeB.Services.GetRequiredService<TimerHandler>().FireAsync(followUp));

            var details = await ana.App.GetNotificationAsync(sent.NotificationId);
            Assert.Equal(2, details.Deliveries.Count); // the first send and ONE follow-up, not two
            Assert.Single(details.Trace, t => t.Message.Contains("following up", StringComparison.Ordinal));
            Assert.Equal(0L, nodeA.Count($"timers WHERE id = '{followUp.Id}'"));

            // A node that fires it again later (a stale copy in its memory) changes nothing.
            await nodeB.Services.GetRequiredService<TimerHandler>().FireAsync(followUp);
            Assert.Equal(2, (await ana.App.GetNotificationAsync(sent.NotificationId)).Deliveries.Count);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    private const string ShortWait = """
        name: default
        ttl: 1h
        steps:
          - to: best
            via: inApp
            wait: 10s
          - to: all
            via: inApp
        """;

    [Fact]
    public async Task Notify_FollowUpDueWithinTheClaimWindow_StoredLeasedToThisNode_AndFiredWithoutAClaim()
    {
        await using var node = new NotifyTestServer(new Dictionary<string, string?> { ["Timers:NodeId"] = "node-a", ["Timers:ClaimAhead"] = "00:00:30" },
            rules: new Dictionary<string, string> { ["default.yaml"] = ShortWait });
        await Waits.UntilAsync(() => node.Services.GetRequiredService<TimerSchedule>().Lease is not null, "the timer loop's first poll");
        var loop = node.Services.GetRequiredService<TimerLoop>();
        var polls = 0;
        loop.Claimed += _ => Interlocked.Increment(ref polls);
        await using var ana = await Scenario.CreateAsync(node);
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await ana.RegisterAsync("phone", Platform.Android);

        var sent = await ana.NotifyAsync();

        // No poll since (the clock has not moved): the workflow stored it leased, the expiry (1 h) free for any node.
        Assert.Equal(0, Volatile.Read(ref polls));
        Assert.Equal("node-a", node.Scalar("SELECT lease_owner FROM timers WHERE kind = 'FollowUp'"));
        Assert.Null(node.Scalar("SELECT lease_owner FROM timers WHERE kind = 'Expire'"));
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Fired += _ => fired.TrySetResult();
        node.Time.Advance(TimeSpan.FromSeconds(10));
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Waits.UntilAsync(() => node.Count("timers WHERE kind = 'FollowUp'") == 0, "the follow-up's commit");
        Assert.Contains((await ana.App.GetNotificationAsync(sent.NotificationId)).Trace, t => t.Message.Contains("following up", StringComparison.Ordinal));
    }
}
