using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Devices;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Rules;
using Notify.Engine.Timers;
using Notify.Storage.Sqlite;

namespace Notify.Learning.Tests;

/// <summary>A learned wait in the workflow, on a real SQLite file: without history the follow-up is due after the
/// default; an ack teaches the user's response time, and the next notification's follow-up is due that much sooner.</summary>
public sealed class LearnedWaitWorkflowTests : IAsyncLifetime
{
    private const string Rule = """
        name: default
        steps:
          - to: attention
            via: inApp
            wait: { learned: true, min: 1m, max: 10m }
          - to: best
            via: inApp
            wait: 10m
        """;

    private readonly FakeTimeProvider _time = new(Kit.Noon);
    private readonly TimerSchedule _schedule = new();
    private readonly ResponseTimes _times = new(quantile: 0.8, minSamples: 1);
    private SqliteStore _store = null!;
    private DeliveryWorkflow _workflow = null!;
    private Device _phone = null!;

    public async Task InitializeAsync()
    {
        _schedule.Load([], Kit.Noon.AddHours(1));
        _schedule.Leased("test-node", Kit.Noon.AddHours(2)); // and hold this node's own new timers, as a running timer loop does
        var folder = Kit.TempFolder();
        File.WriteAllText(Path.Combine(folder, "default.yaml"), Rule);
        var rules = new RuleSet();
        rules.Apply(RuleDirectory.List(folder).Select(f => RuleDirectory.Read(folder, f)), Kit.Noon);
        _store = new SqliteStore(new SqliteOptions { Path = Path.Combine(folder, "notify.db") }, NullLogger<SqliteStore>.Instance);
        await _store.UpsertUserAsync(Kit.User());
        _phone = Kit.Device("phone").Device;
        await _store.AddDeviceAsync(_phone);
        var tracker = new DeviceStateTracker();
        foreach (var d in await _store.GetDevicesAsync("app", "ana")) tracker.Connected(d, Kit.Noon);
        tracker.Report((await _store.GetDeviceAsync("phone"))!, new StateReport(Presence.Active, true, null, null, null), Kit.Noon);
        _workflow = new DeliveryWorkflow(_store, rules, tracker, new Connected(), new Notify.Engine.Channels.DispatchQueue(), _schedule, new DeliveryOptions(),
            new NotifyMetrics(new Meters()), _time, NullLogger<DeliveryWorkflow>.Instance, new ResponseScoring(), _store, _times);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Accept_NoHistory_FollowUpDueAfterTheDefault()
    {
        var accepted = Assert.IsType<AcceptOutcome.Accepted>(await _workflow.AcceptAsync("app", Command()));

        Assert.DoesNotContain(_schedule.TakeDue(Kit.Noon.AddMinutes(9)), t => t.Kind == TimerKind.FollowUp);
        var due = Assert.Single(_schedule.TakeDue(Kit.Noon.AddMinutes(10)), t => t.Kind == TimerKind.FollowUp);
        Assert.Equal(accepted.Result.NotificationId, due.NotificationId);
        var details = await _store.GetNotificationAsync(accepted.Result.NotificationId);
        Assert.Contains(details!.Trace, t => t.Message.Contains("no response history for this user yet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ack_ThenAccept_FollowUpDueAfterTheLearnedTime()
    {
        var first = Assert.IsType<AcceptOutcome.Accepted>(await _workflow.AcceptAsync("app", Command()));
        _time.Advance(TimeSpan.FromSeconds(90));
        await _workflow.AcknowledgeAsync(_phone, first.Result.NotificationId, AckAction.Seen);
        Assert.Equal(TimeSpan.FromSeconds(90), _times.Typical("app", "ana"));

        var second = Assert.IsType<AcceptOutcome.Accepted>(await _workflow.AcceptAsync("app", Command()));
        var sentAt = _time.GetUtcNow();

        Assert.DoesNotContain(_schedule.TakeDue(sentAt.AddSeconds(89)), t => t.NotificationId == second.Result.NotificationId && t.Kind == TimerKind.FollowUp);
        Assert.Single(_schedule.TakeDue(sentAt.AddSeconds(90)), t => t.NotificationId == second.Result.NotificationId && t.Kind == TimerKind.FollowUp);
    }

    private static NotifyCommand Command() => new("ana", "comment", "Hi", null, null, null, null, null, null);

    private sealed class Connected : IRealtimeSender
    {
        public bool IsConnected(string deviceId) => true;
        public ValueTask<bool> SendAsync(string deviceId, ServerMessage message, string? eventId = null, CancellationToken ct = default) => ValueTask.FromResult(true);
    }

    private sealed class Meters : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);
        public void Dispose() { }
    }
}
