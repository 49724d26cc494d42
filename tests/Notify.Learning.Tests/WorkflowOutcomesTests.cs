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

/// <summary>The workflow's outcome hooks, end to end on a real SQLite file: a decision records the features of each
/// delivery, an ack resolves them, a follow-up marks the unseen step.</summary>
public sealed class WorkflowOutcomesTests : IAsyncLifetime
{
    private const string Rule = """
        name: default
        steps:
          - to: attention
            via: inApp
            wait: 2m
          - to: best
            via: inApp
            wait: 10m
        """;

    private readonly FakeTimeProvider _time = new(Kit.Noon);
    private readonly TimerSchedule _schedule = new();
    private SqliteStore _store = null!;
    private DeliveryWorkflow _workflow = null!;
    private Device _phone = null!;

    public async Task InitializeAsync()
    {
        _schedule.Load([], Kit.Noon.AddHours(1)); // hold timers due within the hour, as the timer loop would
        _schedule.Leased("test-node", Kit.Noon.AddHours(2)); // and hold this node's own new timers, as a running timer loop does
        var folder = Kit.TempFolder();
        File.WriteAllText(Path.Combine(folder, "default.yaml"), Rule);
        var rules = new RuleSet();
        rules.Apply(RuleDirectory.List(folder).Select(f => RuleDirectory.Read(folder, f)), Kit.Noon);
        _store = new SqliteStore(new SqliteOptions { Path = Path.Combine(folder, "notify.db") }, NullLogger<SqliteStore>.Instance);
        await _store.UpsertUserAsync(Kit.User());
        _phone = Kit.Device("phone").Device;
        await _store.AddDeviceAsync(_phone);
        await _store.AddDeviceAsync(Kit.Device("laptop", Platform.Desktop).Device with { TokenHash = "h2" });
        var tracker = new DeviceStateTracker();
        foreach (var d in await _store.GetDevicesAsync("app", "ana")) tracker.Connected(d, Kit.Noon);
        tracker.Report((await _store.GetDeviceAsync("phone"))!, new StateReport(Presence.Active, true, null, null, null), Kit.Noon);
        _workflow = new DeliveryWorkflow(_store, rules, tracker, new Connected(), new Notify.Engine.Channels.DispatchQueue(), _schedule, new DeliveryOptions(), new NotifyMetrics(new Meters()),
            _time, NullLogger<DeliveryWorkflow>.Instance, new ResponseScoring(), _store);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Accept_ThenAck_RecordsTheFeaturesAndTheResponse()
    {
        var accepted = Assert.IsType<AcceptOutcome.Accepted>(await _workflow.AcceptAsync("app", Command()));
        _time.Advance(TimeSpan.FromSeconds(40));
        await _workflow.AcknowledgeAsync(_phone, accepted.Result.NotificationId, AckAction.Opened);
        await _store.FlushOutcomesAsync();

        var outcome = Assert.Single(await _store.ReadOutcomesAsync());
        Assert.Equal("phone", outcome.Start.DeviceId);
        Assert.Equal("active", outcome.Start.Features.Presence);
        Assert.Equal("inApp", outcome.Start.Features.Channel);
        Assert.Equal(TimeSpan.FromMinutes(2), outcome.Start.Wait);
        Assert.Equal(OutcomeKind.Opened, outcome.Outcome);
        Assert.True(outcome.Responded);
    }

    [Fact]
    public async Task FollowUp_Unseen_MarksTheStepAndRecordsTheNextDelivery()
    {
        await _workflow.AcceptAsync("app", Command());
        _time.Advance(TimeSpan.FromMinutes(2));
        foreach (var timer in _schedule.TakeDue(_time.GetUtcNow())) await _workflow.FireAsync(timer);
        await _store.FlushOutcomesAsync();

        var outcomes = await _store.ReadOutcomesAsync();
        Assert.Equal(2, outcomes.Count);
        Assert.Equal(OutcomeKind.FollowedUp, outcomes.Single(o => o.Start.Features.Step == 0).Outcome);
        var second = outcomes.Single(o => o.Start.Features.Step == 1);
        Assert.Null(second.Outcome);
        Assert.Equal(TimeSpan.FromMinutes(10), second.Start.Wait);
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
