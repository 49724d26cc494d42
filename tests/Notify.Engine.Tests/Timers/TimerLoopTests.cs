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
            new TimerRecord("soon", "n2", TimerKind.FollowUp, 0, T0.AddSeconds(20)),
        ]);
        var fired = new ConcurrentQueue<string>();
        var loop = new TimerLoop(store, new TimerSchedule(), (t, _) => { fired.Enqueue(t.Id); return Task.CompletedTask; }, time,
            new TimerOptions { NodeId = "a", ClaimAhead = TimeSpan.FromSeconds(30) }, NullLogger<TimerLoop>.Instance);
        var rounds = new SemaphoreSlim(0);
        loop.Fired += _ => rounds.Release();
        using var cts = new CancellationTokenSource();
        var running = loop.RunAsync(cts.Token);

        Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["overdue"], fired);
        Assert.Equal("a", store.OwnerOf("soon")); // claimed ahead, with the first poll

        time.Advance(TimeSpan.FromSeconds(19));
        Assert.False(await rounds.WaitAsync(TimeSpan.FromMilliseconds(50)));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["overdue", "soon"], fired);

        await cts.CancelAsync();
        await running;
    }

    [Fact]
    public async Task RunAsync_TimerBeyondClaimAhead_IsClaimedByALaterPoll_AndFiredOnTime()
    {
        var time = new FakeTimeProvider(T0);
        var store = new TimerStore([new TimerRecord("far", "n", TimerKind.Expire, -1, T0.AddMinutes(2))]);
        var fired = new ConcurrentQueue<DateTimeOffset>();
        var loop = new TimerLoop(store, new TimerSchedule(), (t, _) => { fired.Enqueue(time.GetUtcNow()); return Task.CompletedTask; }, time,
            new TimerOptions { NodeId = "a", ClaimAhead = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromSeconds(5) }, NullLogger<TimerLoop>.Instance);
        var polls = new SemaphoreSlim(0);
        var rounds = new SemaphoreSlim(0);
        loop.Claimed += _ => polls.Release();
        loop.Fired += _ => rounds.Release();
        using var cts = new CancellationTokenSource();
        var running = loop.RunAsync(cts.Token);

        Assert.True(await polls.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(store.OwnerOf("far"));
        for (var i = 0; i < 24; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.True(await polls.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal([T0.AddMinutes(2)], fired);
        Assert.Equal(T0.AddSeconds(95), store.ClaimedAt["far"]); // the first poll whose window (now + 30 s, exclusive) reaches past it
        await cts.CancelAsync();
        await running;
    }

    [Fact]
    public async Task RunAsync_HoldsALease_RenewsItOnlyWhenItWouldRunOutBeforeTheRenewalAfterNext_AndReleasesItOnStop()
    {
        var time = new FakeTimeProvider(T0);
        var store = new TimerStore([new TimerRecord("t", "n", TimerKind.FollowUp, 0, T0.AddSeconds(25))]);
        var loop = new TimerLoop(store, new TimerSchedule(), (_, _) => Task.CompletedTask, time,
            new TimerOptions { NodeId = "a", ClaimAhead = TimeSpan.FromSeconds(30), LeaseDuration = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromSeconds(5) },
            NullLogger<TimerLoop>.Instance);
        var polls = new SemaphoreSlim(0);
        loop.Claimed += _ => polls.Release();
        using var cts = new CancellationTokenSource();
        var running = loop.RunAsync(cts.Token);
        Assert.True(await polls.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(T0.AddSeconds(30), store.LeaseUntil("t"));

        time.Advance(TimeSpan.FromSeconds(10)); // a renewal (every 10 s), and a poll
        Assert.True(await polls.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(T0.AddSeconds(30), store.LeaseUntil("t")); // lasts past the next renewal (at 20 s) and its margin: not written

        time.Advance(TimeSpan.FromSeconds(10)); // the next renewal: the lease would run out before the one after (at 30 s)
        Assert.True(await polls.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(T0.AddSeconds(50), store.LeaseUntil("t"));
        await cts.CancelAsync();
        await running;
        Assert.Null(store.OwnerOf("t"));
    }

    [Fact]
    public async Task RunAsync_FiringFails_TheLeaseIsReleased_AndTheTimerIsClaimedAndFiredAgain()
    {
        var time = new FakeTimeProvider(T0);
        var store = new TimerStore([new TimerRecord("t", "n", TimerKind.FollowUp, 0, T0)]);
        var attempts = 0;
        var loop = new TimerLoop(store, new TimerSchedule(), (_, _) =>
            Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("store hiccup") : Task.CompletedTask, time,
            new TimerOptions { NodeId = "a", PollInterval = TimeSpan.FromSeconds(5) }, NullLogger<TimerLoop>.Instance);
        var rounds = new SemaphoreSlim(0);
        loop.Fired += _ => rounds.Release();
        using var cts = new CancellationTokenSource();
        var running = loop.RunAsync(cts.Token);

        Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(store.OwnerOf("t"));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(2, attempts);
        await cts.CancelAsync();
        await running;
    }

    /// <summary>A store that only knows timers and their leases (the loop's one collaborator); everything else is not used.</summary>
    private sealed class TimerStore(List<TimerRecord> timers) : INotifyStore
    {
        private readonly Dictionary<string, (string Owner, DateTimeOffset Until)> _leases = [];
        public readonly ConcurrentDictionary<string, DateTimeOffset> ClaimedAt = new();

        public string? OwnerOf(string id) { lock (_leases) return _leases.TryGetValue(id, out var l) ? l.Owner : null; }
        public DateTimeOffset? LeaseUntil(string id) { lock (_leases) return _leases.TryGetValue(id, out var l) ? l.Until : null; }

        public Task<IReadOnlyList<TimerRecord>> GetTimersDueBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct = default) =>
            Task.FromResult<IReadOnlyList<TimerRecord>>(timers.Where(t => t.DueAt < before).OrderBy(t => t.DueAt).Take(limit).ToList());

        public Task<IReadOnlyList<TimerRecord>> ClaimTimersAsync(string owner, DateTimeOffset dueBefore, DateTimeOffset now, DateTimeOffset leaseUntil,
            int limit, CancellationToken ct = default)
        {
            lock (_leases)
            {
                var claimed = timers.Where(t => t.DueAt < dueBefore && (!_leases.TryGetValue(t.Id, out var l) || l.Until <= now))
                    .OrderBy(t => t.DueAt).Take(limit).ToList();
                foreach (var t in claimed)
                {
                    _leases[t.Id] = (owner, leaseUntil);
                    ClaimedAt.TryAdd(t.Id, now);
                }
                return Task.FromResult<IReadOnlyList<TimerRecord>>(claimed);
            }
        }

        public Task<int> RenewTimerLeasesAsync(string owner, DateTimeOffset expiringBefore, DateTimeOffset until, CancellationToken ct = default)
        {
            lock (_leases)
            {
                var mine = _leases.Where(l => l.Value.Owner == owner && l.Value.Until < expiringBefore).Select(l => l.Key).ToList();
                foreach (var id in mine) _leases[id] = (owner, until);
                return Task.FromResult(mine.Count);
            }
        }

        public Task<int> ReleaseTimerLeasesAsync(string owner, IReadOnlyCollection<string>? timerIds = null, CancellationToken ct = default)
        {
            lock (_leases)
            {
                var mine = _leases.Where(l => l.Value.Owner == owner && (timerIds is null || timerIds.Contains(l.Key))).Select(l => l.Key).ToList();
                foreach (var id in mine) _leases.Remove(id);
                return Task.FromResult(mine.Count);
            }
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
