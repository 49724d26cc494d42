using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Notify.Bench.Load;

/// <summary>Raw HTTP/1.1 clients for the driver: one pooled handler, no proxy, no cookies, no decompression.</summary>
public static class Http
{
    public static readonly MediaTypeHeaderValue Json = new("application/json");

    public static HttpClient Client(Uri baseAddress, int connections, string? bearer) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        DefaultRequestHeaders = { Authorization = bearer is null ? null : new AuthenticationHeaderValue("Bearer", bearer) },
    };

    public static HttpRequestMessage Post(string path, byte[] body) =>
        new(HttpMethod.Post, path) { Content = new ByteArrayContent(body) { Headers = { ContentType = Json } } };
}

/// <summary>What a phase saw: successes, failures by status or exception, and the response times of successes.</summary>
public sealed class PhaseResult
{
    public long Ok { get; set; }
    /// <summary>Successes including the warm-up and the tail after the window.</summary>
    public long AllOk;
    public TimeSpan Measured { get; set; }
    public double PerSecond => Measured > TimeSpan.Zero ? Ok / Measured.TotalSeconds : 0;
    public ConcurrentDictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);
    /// <summary>The first few error bodies or exception messages, for the report.</summary>
    public ConcurrentQueue<string> Samples { get; } = new();
    public ConcurrentDictionary<string, long> Tags { get; } = new(StringComparer.Ordinal);
    public List<long> ResponseTicks { get; } = [];
    /// <summary>CPU time used during the measured window, by process ("driver", "server").</summary>
    public Dictionary<string, TimeSpan> Cpu { get; } = new(StringComparer.Ordinal);

    public void Error(string key, string? sample)
    {
        Errors.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (sample is not null && Samples.Count < 5) Samples.Enqueue($"{key}: {(sample.Length > 300 ? sample[..300] + "…" : sample)}");
    }

    public void Tag(string key, long count = 1) => Tags.AddOrUpdate(key, count, (_, n) => n + count);

    public long ErrorCount => Errors.Values.Sum();
}

/// <summary>
/// A closed-loop throughput run: <c>concurrency</c> workers each send, await the answer, and send again,
/// for the warm-up and then the measured window. Only answers that complete inside the window with the
/// expected status count. Bounded by time (the window) and by count (<see cref="MaxRequestsPerWorker"/>).
/// </summary>
public static class ClosedLoop
{
    public const int MaxRequestsPerWorker = 5_000_000;

    /// <param name="request">Builds request number n of worker w.</param>
    /// <param name="inspect">Looks at a successful answer's body (may tag it); null to skip reading bodies.</param>
    public static async Task<PhaseResult> RunAsync(HttpClient client, int concurrency, TimeSpan warmup, TimeSpan duration,
        HttpStatusCode expected, Func<int, long, HttpRequestMessage> request, Action<byte[], PhaseResult>? inspect,
        IReadOnlyDictionary<string, Process> processes, CancellationToken ct)
    {
        var result = new PhaseResult();
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var cpu = CpuWindow.MeasureAsync(processes, measureFrom, measureTo, result, ct);

        async Task Worker(int w)
        {
            var ok = 0L;
            var ticks = new List<long>(4096);
            for (long n = 0; n < MaxRequestsPerWorker && !ct.IsCancellationRequested; n++)
            {
                var sent = Stopwatch.GetTimestamp();
                if (sent >= measureTo) break;
                try
                {
                    using var message = request(w, n);
                    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
                    var body = inspect is null && response.StatusCode == expected ? null : await response.Content.ReadAsByteArrayAsync(ct);
                    var done = Stopwatch.GetTimestamp();
                    if (response.StatusCode == expected) Interlocked.Increment(ref result.AllOk);
                    if (done < measureFrom || done >= measureTo) continue;
                    if (response.StatusCode == expected)
                    {
                        ok++;
                        ticks.Add(done - sent);
                        inspect?.Invoke(body!, result);
                    }
                    else
                        result.Error(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
                            body is null ? null : System.Text.Encoding.UTF8.GetString(body));
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    if (Stopwatch.GetTimestamp() >= measureFrom) result.Error(e.GetType().Name, e.Message);
                    // A refused connection fails at once; do not spin on it.
                    await Task.Delay(10, ct).ConfigureAwait(false);
                }
            }
            lock (result)
            {
                result.Ok += ok;
                result.ResponseTicks.AddRange(ticks);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => Worker(w), ct)));
        var end = Math.Min(Stopwatch.GetTimestamp(), measureTo);
        result.Measured = Stopwatch.GetElapsedTime(measureFrom, end);
        await cpu;
        return result;
    }
}

/// <summary>Samples the CPU time of processes at the start and end of a measured window.</summary>
public static class CpuWindow
{
    public static async Task MeasureAsync(IReadOnlyDictionary<string, Process> processes, long from, long to, PhaseResult result, CancellationToken ct)
    {
        try
        {
            await Task.Delay(Remaining(from), ct);
            var before = processes.ToDictionary(p => p.Key, p => Cpu(p.Value));
            var idleBefore = MachineIdle();
            var wallBefore = Stopwatch.GetTimestamp();
            await Task.Delay(Remaining(to), ct);
            foreach (var (name, process) in processes) result.Cpu[name] = Cpu(process) - before[name];
            if (idleBefore is { } i0 && MachineIdle() is { } i1)
                result.Cpu[Machine] = Stopwatch.GetElapsedTime(wallBefore) * Environment.ProcessorCount - (i1 - i0);
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>The key of the CPU time all processes on the machine used (Linux, from /proc/stat).</summary>
    public const string Machine = "machine";

    /// <summary>
    /// Idle (and I/O wait) time of all CPUs since boot, from /proc/stat, or null off Linux. The machine's busy time
    /// is derived as wall time × cores − idle: with a tickless kernel the idle counters are exact while the busy
    /// ones are tick samples that miss short bursts, so summing the busy counters under-reads a part-idle machine.
    /// </summary>
    public static TimeSpan? MachineIdle()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var idle = long.Parse(cpu[4], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(cpu[5], System.Globalization.CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(idle / 100.0); // USER_HZ is 100 on Linux
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static TimeSpan Cpu(Process p)
    {
        p.Refresh();
        return p.HasExited ? TimeSpan.Zero : p.TotalProcessorTime;
    }

    private static TimeSpan Remaining(long timestamp)
    {
        var ticks = timestamp - Stopwatch.GetTimestamp();
        return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);
    }
}
