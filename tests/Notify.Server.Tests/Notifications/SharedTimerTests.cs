using Microsoft.Extensions.DependencyInjection;
using Notify.Client;
using Notify.Engine.Notifications;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Notifications;

/// <summary>Two nodes on one store both hold the same durable timer: exactly one firing takes effect.</summary>
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
                nodeA.Services.GetRequiredService<DeliveryWorkflow>().FireAsync(followUp),
                nodeB.Services.GetRequiredService<DeliveryWorkflow>().FireAsync(followUp));

            var details = await ana.App.GetNotificationAsync(sent.NotificationId);
            Assert.Equal(2, details.Deliveries.Count); // the first send and ONE follow-up, not two
            Assert.Single(details.Trace, t => t.Message.Contains("following up", StringComparison.Ordinal));
            Assert.Equal(0L, nodeA.Count($"timers WHERE id = '{followUp.Id}'"));

            // A node that fires it again later (a stale copy in its memory) changes nothing.
            await nodeB.Services.GetRequiredService<DeliveryWorkflow>().FireAsync(followUp);
            Assert.Equal(2, (await ana.App.GetNotificationAsync(sent.NotificationId)).Deliveries.Count);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }
}
