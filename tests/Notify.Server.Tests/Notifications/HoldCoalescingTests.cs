using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Channels;
using Notify.Engine.Devices;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Storage.Sqlite;

namespace Notify.Server.Tests.Notifications;

/// <summary>A device that reports its state hundreds of times cannot make the server re-decide the user's held
/// notifications hundreds of times: re-decisions are coalesced per user, at most one runs, and reports that arrive
/// meanwhile cause exactly one more run, with the latest state.</summary>
public sealed class HoldCoalescingTests : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("notify-coalesce-").FullName;
    private readonly SqliteStore _store;

    public HoldCoalescingTests() => _store = new SqliteStore(new SqliteOptions { Path = Path.Combine(_folder, "notify.db") }, NullLogger<SqliteStore>.Instance);

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task DeviceReports_WhileARedecisionRuns_OneMoreRunForAllOfThem()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = GatedStore.Wrap(_store, gate.Task);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var runner = new PlanRunner(store, new RuleSet(), new DeviceStateTracker(), new NoConnections(), new DispatchQueue(), new TimerSchedule(),
            new DeliveryOptions(), new NotifyMetrics(new Meters()), time, NullLogger<PlanRunner>.Instance);
        var holds = NotificationHandlers.Create(runner).Holds;
        await _store.UpsertUserAsync(new User("app", "ana", null, "UTC", null, time.GetUtcNow(), time.GetUtcNow()));
        var phone = new Device("phone", "app", "ana", Platform.Ios, "phone", null, "h", time.GetUtcNow());
        runner.DeviceHolds[("app", "ana")] = 0; // as after a notification was held for a device

        var first = holds.DeviceChangedAsync(phone);              // runs, and waits on the gate inside GetHeldAsync
        var later = Enumerable.Range(0, 500).Select(_ => holds.DeviceChangedAsync(phone)).ToList();
        Assert.All(later, t => Assert.True(t.IsCompleted));      // coalesced: they return at once
        Assert.Equal(1, GatedStore.HeldReads);

        gate.SetResult();
        await first;
        Assert.Equal(2, GatedStore.HeldReads);                    // one more run for all 500, not 500
    }

    private sealed class NoConnections : IRealtimeSender
    {
        public bool IsConnected(string deviceId) => false;
        public ValueTask<bool> SendAsync(string deviceId, ServerMessage message, string? eventId = null, CancellationToken ct = default) => ValueTask.FromResult(false);
    }

    private sealed class Meters : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);
        public void Dispose() { }
    }

    /// <summary>The real store, with <see cref="INotifyStore.GetHeldAsync"/> counted and held until a gate opens.</summary>
    public class GatedStore : DispatchProxy
    {
        public static int HeldReads;
        private INotifyStore _inner = null!;
        private Task _gate = Task.CompletedTask;

        public static INotifyStore Wrap(INotifyStore inner, Task gate)
        {
            HeldReads = 0;
            var proxy = Create<INotifyStore, GatedStore>();
            ((GatedStore)(object)proxy)._inner = inner;
            ((GatedStore)(object)proxy)._gate = gate;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method!.Name == nameof(INotifyStore.GetHeldAsync))
            {
                Interlocked.Increment(ref HeldReads);
                return Gated((Task<IReadOnlyList<NotificationDetails>>)method.Invoke(_inner, args)!);
            }
            return method.Invoke(_inner, args);
        }

        private async Task<IReadOnlyList<NotificationDetails>> Gated(Task<IReadOnlyList<NotificationDetails>> read)
        {
            await _gate;
            return await read;
        }
    }
}
