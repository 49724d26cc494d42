using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Model;
using Notify.Engine.Storage;
using Notify.Engine.Timers;

namespace Notify.Engine.Tests.Timers;

public class TimerLoopTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RunAsync_FiresOverdueTimersAtStart_AndLaterOnesWhenTheClockReachesThem()
    {
        var time = new FakeTimeProvider(T0);
        var store = new TimerStore([
            new TimerRecord("overdue", "n1", TimerKind.FollowUp, 0, T0.AddMinutes(-5)),
            new TimerRecord("soon", "n2", TimerKind.FollowUp, 0, T0.AddSeconds(30)),
        ]);
        var fired = new ConcurrentQueue<string>();
        var loop = new TimerLoop(store, new TimerSchedule(), (t, _) => { fired.Enqueue(t.Id); return Task.CompletedTask; }, time,
            new TimerOptions(), NullLogger<TimerLoop>.Instance);
        var rounds = new SemaphoreSlim(0);
        loop.Fired += _ => rounds.Release();
        using var cts = new CancellationTokenSource();
        var running = loop.RunAsync(cts.Token);

        Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["overdue"], fired);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(await rounds.WaitAsync(TimeSpan.FromMilliseconds(50)));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["overdue", "soon"], fired);
        Assert.Equal(1, store.Loads);

        await cts.CancelAsync();
        await running;
    }

    [Fact]
    public async Task RunAsync_TimerBeyondHorizon_IsLoadedWhenTheHorizonMoves()
    {
        var time = new FakeTimeProvider(T0);
        var store = new TimerStore([new TimerRecord("far", "n", TimerKind.Expire, -1, T0.AddMinutes(12))]);
        var fired = new ConcurrentQueue<string>();
        var loop = new TimerLoop(store, new TimerSchedule(), (t, _) => { fired.Enqueue(t.Id); return Task.CompletedTask; }, time,
            new TimerOptions { Horizon = TimeSpan.FromMinutes(10) }, NullLogger<TimerLoop>.Instance);
        var rounds = new SemaphoreSlim(0);
        loop.Fired += _ => rounds.Release();
        using var cts = new CancellationTokenSource();
        var running = loop.RunAsync(cts.Token);

        await store.Loaded.WaitAsync(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 12 && fired.IsEmpty; i++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await rounds.WaitAsync(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(["far"], fired);
        Assert.InRange(store.Loads, 2, 4);
        await cts.CancelAsync();
        await running;
    }

    /// <summary>A store that only knows timers (the loop's one collaborator); everything else is not used.</summary>
    private sealed class TimerStore(List<TimerRecord> timers) : INotifyStore
    {
        private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Loads;
        public Task Loaded => _loaded.Task;

        public Task<IReadOnlyList<TimerRecord>> GetTimersDueBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct = default)
        {
            Interlocked.Increment(ref Loads);
            _loaded.TrySetResult();
            return Task.FromResult<IReadOnlyList<TimerRecord>>(timers.Where(t => t.DueAt < before).OrderBy(t => t.DueAt).Take(limit).ToList());
        }

        public Task<User?> GetUserAsync(string appId, string userId, CancellationToken ct = default) => throw new NotSupportedException();
        public Task UpsertUserAsync(User user, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<bool> SetQuietHoursAsync(string appId, string userId, Notify.Engine.QuietHours.QuietHoursSettings quietHours, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<bool> SetPreferencesAsync(string appId, string userId, UserPreferences preferences, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<StoredDevice>> GetDevicesAsync(string appId, string userId, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<StoredDevice?> GetDeviceAsync(string deviceId, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<Device?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken ct = default) => throw new NotSupportedException();
        public Task AddDeviceAsync(Device device, CancellationToken ct = default) => throw new NotSupportedException();
        public Task UpdateDeviceAsync(Device device, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<bool> DeleteDeviceAsync(string deviceId, CancellationToken ct = default) => throw new NotSupportedException();
        public Task SaveDeviceStatesAsync(IReadOnlyCollection<KeyValuePair<string, DeviceState>> states, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<CommitResult> CommitAsync(IReadOnlyList<NotificationChange> changes, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<NotificationDetails?> GetNotificationAsync(string notificationId, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IdempotencyHit?> FindIdempotencyAsync(string appId, string key, DateTimeOffset since, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<NotificationDetails>> FindOpenByCollapseKeyAsync(string appId, string userId, string collapseKey, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<OpenDelivery>> GetOpenInAppDeliveriesAsync(string deviceId, DateTimeOffset now, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<NotificationDetails>> GetHeldAsync(string appId, string userId, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<(string AppId, string UserId)>> GetUsersWithDeviceHoldsAsync(CancellationToken ct = default) => throw new NotSupportedException();
        public Task SaveRuleVersionAsync(string name, string version, string source, DateTimeOffset at, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<string?> GetRuleVersionSourceAsync(string version, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<Notify.Engine.Channels.PendingSend>> GetPendingSendsAsync(DateTimeOffset now, int limit, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<Notify.Engine.Channels.WebhookOutboxItem>> GetDueWebhooksAsync(DateTimeOffset now, int limit, CancellationToken ct = default) => throw new NotSupportedException();
        public Task UpdateWebhookAsync(string id, int attempts, DateTimeOffset? nextDueAt, string? lastError, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<DateTimeOffset?> GetNextWebhookDueAsync(CancellationToken ct = default) => throw new NotSupportedException();
        public Task<bool> PingAsync(CancellationToken ct = default) => Task.FromResult(true);
    }
}
