using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Storage.Sqlite;

namespace Notify.Bench.Timers;

/// <summary>
/// <c>timers</c>: N durable timers in a fresh SQLite file, due evenly over a window, fired by the real
/// <see cref="TimerLoop"/> on the real clock; how late each fires. The fire callback records the lateness
/// into a preallocated array and commits the firing's timer delete (what every real firing commits:
/// <see cref="NotificationChange.FiredTimer"/>), nothing else, so this measures the timer mechanism,
/// not the delivery workflow. Baseline, same run and same due offsets: a bare in-memory PriorityQueue and one
/// Task.Delay loop, no store.
/// </summary>
public static class TimersCommand
{
    public const string Usage = """
        usage: Notify.Bench timers [flags]
          --count N        timers (default 1000000)
          --spread S       seconds the due times are spread evenly over (default 300: 1M fire at 3.3k/s)
          --lead S         seconds from the start of the insert to the first due time (default 60; the insert
                           and the restart must finish inside it)
          --db PATH        the SQLite file (default a fresh temp file, deleted afterwards)
          --no-restart     fire from the store that inserted, instead of disposing it and opening a new one
          --no-baseline    skip the bare PriorityQueue baseline
          --nodes N        timer loops sharing the file, each with its own store, as N processes would (default 1)
          --claim-batch N  TimerOptions.ClaimBatch (default the engine's, 5000)
          --claim-ahead S  TimerOptions.ClaimAhead in seconds (default the engine's, 30)
          --poll S         TimerOptions.PollInterval in seconds (default the engine's, 5)
          --lease S        TimerOptions.LeaseDuration in seconds (default the engine's, 30)
        """;

    private sealed record Options(int Count, TimeSpan Spread, TimeSpan Lead, string? Db, bool Restart, bool Baseline, int Nodes, TimerOptions Timers);

    public static bool TryParse(string[] args, out object? options, out string? error)
    {
        int count = 1_000_000;
        double spread = 300, lead = 60;
        string? db = null;
        var restart = true;
        var baseline = true;
        var nodes = 1;
        var timers = new TimerOptions();
        options = null;
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{flag} needs a value");
            try
            {
                switch (flag)
                {
                    case "--count": count = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--spread": spread = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--lead": lead = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--db": db = Value(); break;
                    case "--no-restart": restart = false; break;
                    case "--no-baseline": baseline = false; break;
                    case "--nodes": nodes = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--claim-batch": timers.ClaimBatch = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--claim-ahead": timers.ClaimAhead = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                    case "--poll": timers.PollInterval = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                    case "--lease": timers.LeaseDuration = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                    default: error = $"unknown flag '{flag}'"; return false;
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                error = $"{flag}: {e.Message}";
                return false;
            }
        }
        if (count < 1 || spread <= 0 || lead < 0 || nodes < 1) { error = "--count and --nodes must be ≥ 1, --spread > 0, --lead ≥ 0"; return false; }
        options = new Options(count, TimeSpan.FromSeconds(spread), TimeSpan.FromSeconds(lead), db, restart, baseline, nodes, timers);
        return true;
    }

    public static async Task<int> RunAsync(object parsed, string[] commandLine, CancellationToken ct)
    {
        var o = (Options)parsed;
        var n = o.Count;
        var time = TimeProvider.System;
        var path = o.Db ?? Path.Combine(Path.GetTempPath(), $"notify-timers-{Guid.NewGuid():N}.db");
        var temp = o.Db is null;
        // Due offsets in whole milliseconds (the store keeps milliseconds), evenly over the spread.
        var offsetMs = new long[n];
        for (var i = 0; i < n; i++) offsetMs[i] = (long)(o.Lead.TotalMilliseconds + o.Spread.TotalMilliseconds * i / n);

        var start = time.GetUtcNow();
        var baseAt = DateTimeOffset.FromUnixTimeMilliseconds(start.ToUnixTimeMilliseconds());
        Console.Error.WriteLine($"inserting {n:N0} timers into {path}");

        // 1. Insert: one change per batch of 10,000 timers (no foreign keys: timers need no notification row).
        var insert = Stopwatch.StartNew();
        var store = new SqliteStore(new SqliteOptions { Path = path }, NullLogger<SqliteStore>.Instance);
        const int InsertBatch = 10_000;
        for (var from = 0; from < n; from += InsertBatch)
        {
            var change = new NotificationChange("bench");
            for (var i = from; i < Math.Min(n, from + InsertBatch); i++)
                change.NewTimers.Add(new TimerRecord(Id(i), "n" + i.ToString(CultureInfo.InvariantCulture), TimerKind.FollowUp, 0, baseAt.AddMilliseconds(offsetMs[i])));
            await store.CommitAsync([change], ct);
        }
        insert.Stop();
        var fileMb = new FileInfo(path).Length / 1048576.0;
        Console.Error.WriteLine($"inserted in {insert.Elapsed.TotalSeconds:F1}s");

        // 2. Restart: dispose the store, open a new one on the same file, count what survived.
        long survived = -1;
        var restart = Stopwatch.StartNew();
        if (o.Restart)
        {
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();
            store = new SqliteStore(new SqliteOptions { Path = path }, NullLogger<SqliteStore>.Instance);
        }
        survived = CountTimers(path);
        restart.Stop();
        var firstDue = baseAt.AddMilliseconds(offsetMs[0]);
        var headroom = firstDue - time.GetUtcNow();
        if (headroom < TimeSpan.Zero)
            Console.Error.WriteLine($"WARNING: the insert and restart ended {-headroom.TotalSeconds:F1}s after the first timer was due; raise --lead");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        // 3. Fire through the TimerLoop.
        var stored = await FireStoredAsync(store, path, o.Nodes, n, o.Timers, time, ct);
        await store.DisposeAsync();
        var left = CountTimers(path);
        if (temp)
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
        }
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        // 4. Baseline: the same offsets (less the lead, plus 2 s), a bare PriorityQueue and one Task.Delay loop.
        var bare = o.Baseline ? await FireBareAsync(offsetMs, (long)o.Lead.TotalMilliseconds - 2000, time, ct) : null;
        Finish(stored, offsetMs);
        if (bare is not null) Finish(bare, offsetMs);

        Print(o, commandLine, insert.Elapsed, fileMb, restart.Elapsed, survived, headroom, stored, bare, left);
        return stored.FiredOnce == n && (bare is null || bare.FiredOnce == n) ? 0 : 1;
    }

    private static string Id(int i) => "t" + i.ToString("D8", CultureInfo.InvariantCulture);

    private static int Index(string id) => int.Parse(id.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture);

    private static long CountTimers(string path)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM timers";
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private sealed class Phase
    {
        public required long[] LateTicks;
        public required int[] Fires;
        /// <summary>From the first due time to the last fire.</summary>
        public TimeSpan Elapsed;
        public long FiredOnce, Duplicates, Missing, Errors, Polls, Claims, Rounds;
        public long[] PerNode = [];
        public long PeakWorkingSet, PeakGcHeap;
        public int[] Collections = new int[3];
        public double[] LateMs = [];
    }

    /// <summary>Fires through <paramref name="nodes"/> timer loops, the first on <paramref name="store"/>, the others each on a
    /// store of their own on the same file (as separate processes); they share the timers through leases.</summary>
    private static async Task<Phase> FireStoredAsync(INotifyStore store, string path, int nodes, int n, TimerOptions options, TimeProvider time, CancellationToken ct)
    {
        var p = new Phase { LateTicks = new long[n], Fires = new int[n], PerNode = new long[nodes] };
        var total = 0L;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var logger = new CountingLogger();
        var stores = new List<INotifyStore> { store };
        for (var k = 1; k < nodes; k++) stores.Add(new SqliteStore(new SqliteOptions { Path = path }, NullLogger<SqliteStore>.Instance));
        Func<TimerRecord, CancellationToken, Task> FireOn(int node) => async (t, token) =>
        {
            var late = time.GetUtcNow() - t.DueAt;
            var i = Index(t.Id);
            p.LateTicks[i] = late.Ticks;
            Interlocked.Increment(ref p.Fires[i]);
            Interlocked.Increment(ref p.PerNode[node]);
            await stores[node].CommitAsync([new NotificationChange(t.NotificationId) { FiredTimer = t.Id }], token);
            if (Interlocked.Increment(ref total) == n) done.TrySetResult();
        };
        var rounds = 0L;
        var polls = 0L;
        var claims = 0L;
        var loops = new List<TimerLoop>();
        for (var k = 0; k < nodes; k++)
        {
            var loop = new TimerLoop(stores[k], new TimerSchedule(), FireOn(k), time, options, logger);
            loop.Fired += _ => Interlocked.Increment(ref rounds);
            loop.Claimed += c =>
            {
                Interlocked.Increment(ref polls);
                Interlocked.Add(ref claims, c);
            };
            loops.Add(loop);
        }
        var gc = Collections();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sampler = Sample(p, stop.Token);
        var running = loops.Select(l => l.RunAsync(stop.Token)).ToList();
        await done.Task.WaitAsync(ct);
        // A little longer, so a re-fire (a fired timer claimed again) would be counted.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        await stop.CancelAsync();
        await Task.WhenAll(running);
        foreach (var other in stores.Skip(1)) await ((SqliteStore)other).DisposeAsync();
        p.Errors = logger.Errors;
        p.Rounds = rounds;
        p.Polls = polls;
        p.Claims = claims;
        p.Collections = Since(gc);
        return p;
    }

    private static async Task<Phase> FireBareAsync(long[] offsetMs, long shiftMs, TimeProvider time, CancellationToken ct)
    {
        var n = offsetMs.Length;
        var p = new Phase { LateTicks = new long[n], Fires = new int[n] };
        var queue = new PriorityQueue<int, long>(n);
        var baseMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < n; i++) queue.Enqueue(i, baseMs + offsetMs[i] - shiftMs);
        var gc = Collections();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sampler = Sample(p, stop.Token);
        while (queue.TryPeek(out _, out var dueMs))
        {
            var delay = DateTimeOffset.FromUnixTimeMilliseconds(dueMs) - time.GetUtcNow();
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, time, ct);
                continue;
            }
            var now = time.GetUtcNow();
            var nowTicks = now.UtcTicks;
            while (queue.TryPeek(out var i, out var due) && DateTimeOffset.FromUnixTimeMilliseconds(due) <= now)
            {
                queue.Dequeue();
                p.LateTicks[i] = nowTicks - DateTimeOffset.FromUnixTimeMilliseconds(due).UtcTicks;
                p.Fires[i]++;
            }
        }
        await stop.CancelAsync();
        p.Collections = Since(gc);
        return p;
    }

    private static int[] Collections() => [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

    private static int[] Since(int[] gc) => [GC.CollectionCount(0) - gc[0], GC.CollectionCount(1) - gc[1], GC.CollectionCount(2) - gc[2]];

    private static void Finish(Phase p, long[] offsetMs)
    {
        var last = long.MinValue;
        for (var i = 0; i < offsetMs.Length; i++) last = Math.Max(last, offsetMs[i] * TimeSpan.TicksPerMillisecond + p.LateTicks[i]);
        p.Elapsed = TimeSpan.FromTicks(last - offsetMs[0] * TimeSpan.TicksPerMillisecond);
        foreach (var f in p.Fires)
        {
            if (f == 1) p.FiredOnce++;
            else if (f == 0) p.Missing++;
            else p.Duplicates++;
        }
        var ms = new double[p.LateTicks.Length];
        for (var i = 0; i < ms.Length; i++) ms[i] = p.LateTicks[i] / (double)TimeSpan.TicksPerMillisecond;
        Array.Sort(ms);
        double At(double q) => ms[Math.Min(ms.Length - 1, (int)(q * ms.Length))];
        p.LateMs = [At(0.5), At(0.9), At(0.99), At(0.999), ms[^1], ms[0]];
    }

    /// <summary>Samples the working set and GC heap every 200 ms until disposed; keeps the peaks.</summary>
    private static IDisposable Sample(Phase p, CancellationToken ct)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
            try
            {
                do
                {
                    p.PeakWorkingSet = Math.Max(p.PeakWorkingSet, Environment.WorkingSet);
                    p.PeakGcHeap = Math.Max(p.PeakGcHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
                }
                while (await timer.WaitForNextTickAsync(cts.Token));
            }
            catch (OperationCanceledException) { }
        }, CancellationToken.None);
        return cts;
    }

    private static void Print(Options o, string[] commandLine, TimeSpan insert, double fileMb, TimeSpan restart, long survived, TimeSpan headroom,
        Phase stored, Phase? bare, long left)
    {
        var w = Console.Out;
        string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        string F(double v, int digits = 1) => v.ToString("F" + digits, CultureInfo.InvariantCulture);
        string Mb(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);
        string Late(Phase? p) => p is null ? "–" : $"{F(p.LateMs[0])} / {F(p.LateMs[1])} / {F(p.LateMs[2])} / {F(p.LateMs[4])}";
        string B(Func<Phase, string> f) => bare is null ? "not run" : f(bare);
        w.WriteLine();
        w.WriteLine($"## Notify timers run ({N(o.Count)} timers)");
        w.WriteLine();
        w.WriteLine($"command: `Notify.Bench {string.Join(' ', commandLine)}`");
        w.WriteLine($"due evenly over {F(o.Spread.TotalSeconds, 0)} s ({N(o.Count / o.Spread.TotalSeconds)}/s), the first {F(o.Lead.TotalSeconds, 0)} s after the insert began; " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC; {Environment.ProcessorCount} cores; load average at the end: " +
            (File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown"));
        w.WriteLine($"insert: {N(o.Count)} timers in {F(insert.TotalSeconds)} s ({N(o.Count / insert.TotalSeconds)}/s, batches of 10,000 per commit); file {F(fileMb)} MB");
        w.WriteLine($"TimerOptions: ClaimAhead {F(o.Timers.ClaimAhead.TotalSeconds, 0)} s, PollInterval {F(o.Timers.PollInterval.TotalSeconds, 1)} s, " +
            $"LeaseDuration {F(o.Timers.LeaseDuration.TotalSeconds, 0)} s, ClaimBatch {N(o.Timers.ClaimBatch)}, Concurrency {o.Timers.Concurrency}; " +
            $"{o.Nodes} timer loop{(o.Nodes == 1 ? "" : "s")} on the file{(o.Nodes == 1 ? "" : ", each with its own store")}");
        w.WriteLine($"restart ({(o.Restart ? "store disposed, a new one opened on the file" : "skipped")}): {N(survived)} timers stored after it, " +
            $"{F(restart.TotalMilliseconds, 0)} ms; the first was due {F(headroom.TotalSeconds)} s later");
        w.WriteLine();
        w.WriteLine("| measure | `TimerLoop` + SQLite | bare PriorityQueue + Task.Delay |");
        w.WriteLine("|---|---:|---:|");
        w.WriteLine($"| **lateness p50 / p90 / p99 / max, ms** | **{Late(stored)}** | **{Late(bare)}** |");
        w.WriteLine($"| lateness p99.9 / min, ms | {F(stored.LateMs[3])} / {F(stored.LateMs[5])} | {B(b => $"{F(b.LateMs[3])} / {F(b.LateMs[5])}")} |");
        w.WriteLine($"| fired exactly once / twice or more / never | {N(stored.FiredOnce)} / {N(stored.Duplicates)} / {N(stored.Missing)} | {B(b => $"{N(b.FiredOnce)} / {N(b.Duplicates)} / {N(b.Missing)}")} |");
        w.WriteLine($"| from the first due time to the last fire, s | {F(stored.Elapsed.TotalSeconds)} | {B(b => F(b.Elapsed.TotalSeconds))} |");
        w.WriteLine($"| timers fired/s (over that time) | {N(o.Count / stored.Elapsed.TotalSeconds)} | {B(b => N(o.Count / b.Elapsed.TotalSeconds))} |");
        w.WriteLine($"| polls / timers claimed by them / firing rounds | {N(stored.Polls)} / {N(stored.Claims)} / {N(stored.Rounds)} | – |");
        if (stored.PerNode.Length > 1) w.WriteLine($"| timers fired per node | {string.Join(" / ", stored.PerNode.Select(c => N(c)))} | – |");
        w.WriteLine($"| fire errors logged | {N(stored.Errors)} | – |");
        w.WriteLine($"| peak working set / peak GC heap in the phase, MB | {Mb(stored.PeakWorkingSet)} / {Mb(stored.PeakGcHeap)} | {B(b => $"{Mb(b.PeakWorkingSet)} / {Mb(b.PeakGcHeap)}")} |");
        w.WriteLine($"| GCs in the phase (gen0 / gen1 / gen2) | {string.Join(" / ", stored.Collections)} | {B(b => string.Join(" / ", b.Collections))} |");
        w.WriteLine($"| timers left in the store afterwards | {N(left)} | – |");
        w.WriteLine();
        w.WriteLine($"peak working set of the process: {Mb(Process.GetCurrentProcess().PeakWorkingSet64)} MB");
    }

    /// <summary>Counts the loop's errors (failed fires, loop failures).</summary>
    private sealed class CountingLogger : ILogger<TimerLoop>
    {
        private long _errors;
        public long Errors => Interlocked.Read(ref _errors);
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                if (Interlocked.Increment(ref _errors) <= 3) Console.Error.WriteLine(formatter(state, exception) + " " + exception?.Message);
            }
        }
    }
}
