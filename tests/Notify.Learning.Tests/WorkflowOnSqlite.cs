using Notify.Engine.Notifications.Handlers;
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

/// <summary>
/// The real notification handlers (<see cref="NotificationHandlers"/>) on a real SQLite file with one rule, the user "ana" and her phone (online,
/// active, app in the foreground), every in-app send succeeding; its timers held in <see cref="Schedule"/> as a running
/// timer loop would hold them. For the workflow's learning hooks, end to end.
/// </summary>
public sealed class WorkflowOnSqlite : IAsyncDisposable
{
    private WorkflowOnSqlite(SqliteStore store, NotificationHandlers workflow, Device phone, TimerSchedule schedule)
    {
        Store = store;
        Workflow = workflow;
        Phone = phone;
        Schedule = schedule;
    }

    public SqliteStore Store { get; }
    public NotificationHandlers Workflow { get; }
    public Device Phone { get; }
    public TimerSchedule Schedule { get; }

    public static async Task<WorkflowOnSqlite> CreateAsync(string rule, FakeTimeProvider time, ResponseTimes? responseTimes = null, params Device[] otherDevices)
    {
        var schedule = new TimerSchedule();
        schedule.Load([], Kit.Noon.AddHours(1)); // timers due within the hour are held in memory
        schedule.Leased("test-node", Kit.Noon.AddHours(2)); // and this node's own new timers with them
        var folder = Kit.TempFolder();
        File.WriteAllText(Path.Combine(folder, "default.yaml"), rule);
        var rules = new RuleSet();
        rules.Apply(RuleDirectory.List(folder).Select(f => RuleDirectory.Read(folder, f)), Kit.Noon);
        var store = new SqliteStore(new SqliteOptions { Path = Path.Combine(folder, "notify.db") }, NullLogger<SqliteStore>.Instance);
        await store.UpsertUserAsync(Kit.User());
        var phone = Kit.Device("phone").Device;
        await store.AddDeviceAsync(phone);
        foreach (var device in otherDevices) await store.AddDeviceAsync(device);
        var tracker = new DeviceStateTracker();
        foreach (var d in await store.GetDevicesAsync("app", "ana")) tracker.Connected(d, Kit.Noon);
        tracker.Report((await store.GetDeviceAsync("phone"))!, new StateReport(Presence.Active, true, null, null, null), Kit.Noon);
        var runner = new PlanRunner(store, rules, tracker, new Connected(), new Notify.Engine.Channels.DispatchQueue(), schedule, new DeliveryOptions(),
            new NotifyMetrics(new Meters()), time, NullLogger<PlanRunner>.Instance, new ResponseScoring(), store, responseTimes);
        var workflow = NotificationHandlers.Create(runner);
        return new WorkflowOnSqlite(store, workflow, phone, schedule);
    }

    public static NotifyCommand Command() => new("ana", "comment", "Hi", null, null, null, null, null, null);

    public ValueTask DisposeAsync() => Store.DisposeAsync();

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
