using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Storage.Sqlite;

namespace Notify.Server.Tests.Notifications;

/// <summary>
/// Two nodes (each its own <see cref="SqliteStore"/> on one database file, as two processes) sharing durable timers through leases,
/// on one fake clock. A node fires a timer by committing its firing (the commit applies only if it deletes the timer), as the
/// workflow does; each node records every timer it tried to fire, so "none twice" means no timer was even attempted twice.
/// </summary>
public sealed class TimerLeaseTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("notify-leases-").FullName;
    private readonly FakeTimeProvider _time = new(T0);
    private readonly List<Node> _nodes = [];
    private readonly SemaphoreSlim _attempted = new(0);

    private string DatabasePath => Path.Combine(_dir, "notify.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task RunAsync_TwoNodes_SplitTheDueTimers_EachFiresSome_TheUnionIsAll_NoneTwice()
    {
        await AddTimersAsync("first", 10, T0.AddSeconds(10));
        var a = await StartAsync("a"); // its first poll claims the first ten
        Assert.Equal(10, a.LastClaimed);
        await AddTimersAsync("second", 10, T0.AddSeconds(15));
        var b = await StartAsync("b"); // its first poll claims the second ten (a does not poll again before T0+5s)
        Assert.Equal(10, b.LastClaimed);
        await AddTimersAsync("third", 20, T0.AddSeconds(20));

        await AdvanceAsync(TimeSpan.FromSeconds(5), a, b); // both poll at once: the third twenty go one way or the other
        Assert.Equal(20, a.LastClaimed + b.LastClaimed);
        await AdvanceAsync(TimeSpan.FromSeconds(15), a, b);
        await AttemptsAsync(40);

        Assert.Subset(a.Attempts.Keys.ToHashSet(), Ids("first", 10).ToHashSet());
        Assert.Subset(b.Attempts.Keys.ToHashSet(), Ids("second", 10).ToHashSet());
        var all = a.Attempts.Keys.Concat(b.Attempts.Keys).ToList();
        Assert.Equal(40, all.Count);
        Assert.Equal(Ids("first", 10).Concat(Ids("second", 10)).Concat(Ids("third", 20)).Order(), all.Order());
        Assert.All(a.Attempts.Values.Concat(b.Attempts.Values), fired => Assert.True(fired.Applied));
        Assert.Empty(await a.Store.GetTimersDueBeforeAsync(DateTimeOffset.MaxValue, 10));
    }

    [Fact]
    public async Task RunAsync_NodeDiesHoldingTimers_TheOtherFiresThemOnceAfterTheLeaseRunsOut_NotBefore()
    {
        await AddTimersAsync("t", 5, T0.AddSeconds(20));
        var a = await StartAsync("a");
        Assert.Equal(5, a.LastClaimed); // leased to a until T0+30s
        await a.DieAsync(); // no release: its store is gone with the process
        var b = await StartAsync("b");
        Assert.Equal(0, b.LastClaimed);

        for (var i = 0; i < 5; i++) // T0+5s … T0+25s: due at T0+20s, but a's lease is still live
        {
            await AdvanceAsync(TimeSpan.FromSeconds(5), b);
            Assert.Equal(0, b.LastClaimed);
        }
        Assert.Empty(b.Attempts);
        await AdvanceAsync(TimeSpan.FromSeconds(5), b); // T0+30s: the lease ran out
        await AttemptsAsync(5);

        Assert.Equal(5, b.LastClaimed);
        Assert.Equal(Ids("t", 5).Order(), b.Attempts.Keys.Order());
        Assert.All(b.Attempts.Values, fired => Assert.Equal((T0.AddSeconds(30), true), (fired.At, fired.Applied)));
        Assert.Empty(a.Attempts);
        Assert.Empty(await b.Store.GetTimersDueBeforeAsync(DateTimeOffset.MaxValue, 10));
    }

    [Fact]
    public async Task RunAsync_NodeStopsGracefully_ItReleasesItsLeases_AndTheOtherTakesThemAtOnce()
    {
        await AddTimersAsync("t", 5, T0.AddSeconds(20));
        var a = await StartAsync("a");
        Assert.Equal(5, a.LastClaimed);
        await a.StopAsync();

        var b = await StartAsync("b");
        Assert.Equal(5, b.LastClaimed); // at T0, long before a's lease would have run out (T0+30s)
        for (var i = 0; i < 4; i++) await AdvanceAsync(TimeSpan.FromSeconds(5), b);
        await AttemptsAsync(5);

        Assert.All(b.Attempts.Values, fired => Assert.Equal((T0.AddSeconds(20), true), (fired.At, fired.Applied))); // on time
        Assert.Empty(a.Attempts);
    }

    private static IEnumerable<string> Ids(string prefix, int count) => Enumerable.Range(0, count).Select(i => $"{prefix}-{i:00}");

    /// <summary>Stores free timers, as a node whose loop is not claiming (or one due later than its window) does.</summary>
    private async Task AddTimersAsync(string prefix, int count, DateTimeOffset dueAt)
    {
        await using var store = new SqliteStore(new SqliteOptions { Path = DatabasePath }, NullLogger<SqliteStore>.Instance);
        var change = new NotificationChange("ntf_" + prefix);
        change.NewTimers.AddRange(Ids(prefix, count).Select(id => new TimerRecord(id, "ntf_" + prefix, TimerKind.FollowUp, 0, dueAt)));
        await store.CommitAsync([change]);
    }

    /// <summary>Starts a node and waits for its first poll.</summary>
    private async Task<Node> StartAsync(string name)
    {
        var node = new Node(name, new SqliteStore(new SqliteOptions { Path = DatabasePath }, NullLogger<SqliteStore>.Instance), _time, _attempted);
        _nodes.Add(node);
        var first = node.NextPollAsync();
        node.Start();
        await first;
        return node;
    }

    /// <summary>Waits until the nodes together have tried to fire <paramref name="count"/> timers.</summary>
    private async Task AttemptsAsync(int count)
    {
        for (var i = 0; i < count; i++) Assert.True(await _attempted.WaitAsync(TimeSpan.FromSeconds(20)), $"only {i} of {count} timers were fired");
    }

    /// <summary>Moves the clock to the nodes' next poll and waits until each has polled.</summary>
    private async Task AdvanceAsync(TimeSpan by, params Node[] nodes)
    {
        var polls = nodes.Select(n => n.NextPollAsync()).ToList();
        _time.Advance(by);
        await Task.WhenAll(polls);
    }

    private sealed class Node : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly TimerLoop _loop;
        private readonly FakeTimeProvider _time;
        private readonly SemaphoreSlim _attempted;
        private Task _running = Task.CompletedTask;
        private TaskCompletionSource<int> _poll = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _stopped;

        public Node(string name, SqliteStore store, FakeTimeProvider time, SemaphoreSlim attempted)
        {
            Store = store;
            _time = time;
            _attempted = attempted;
            _loop = new TimerLoop(store, new TimerSchedule(), FireAsync, time, new TimerOptions
            {
                NodeId = name, ClaimAhead = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromSeconds(5),
                LeaseDuration = TimeSpan.FromSeconds(30), ClaimBatch = 4,
            }, NullLogger<TimerLoop>.Instance);
            _loop.Claimed += count =>
            {
                LastClaimed = count;
                Interlocked.Exchange(ref _poll, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(count);
            };
        }

        public void Start() => _running = _loop.RunAsync(_stop.Token);

        public SqliteStore Store { get; }
        public int LastClaimed { get; private set; }
        public ConcurrentDictionary<string, (DateTimeOffset At, bool Applied)> Attempts { get; } = new();

        /// <summary>Completes at this node's next poll (a deadline, not a wait for time to pass).</summary>
        public Task NextPollAsync() => Volatile.Read(ref _poll).Task.WaitAsync(TimeSpan.FromSeconds(20));

        private async Task FireAsync(TimerRecord timer, CancellationToken ct)
        {
            var result = await Store.CommitAsync([new NotificationChange(timer.NotificationId) { FiredTimer = timer.Id }], ct);
            Assert.True(Attempts.TryAdd(timer.Id, (_time.GetUtcNow(), result.Skipped is null)), $"{timer.Id} fired twice by one node");
            _attempted.Release();
        }

        /// <summary>A graceful stop: the loop releases its leases.</summary>
        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _running;
            await Store.DisposeAsync();
            _stopped = true;
        }

        /// <summary>The process is killed: its store goes first, so the loop can neither renew nor release.</summary>
        public async Task DieAsync()
        {
            await Store.DisposeAsync();
            await _stop.CancelAsync();
            await _running;
            _stopped = true;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stopped) await StopAsync();
            _stop.Dispose();
        }
    }
}
