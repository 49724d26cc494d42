using System.Collections.Concurrent;
using System.Diagnostics;
using Notify.Bench.Load;

namespace Notify.Bench.Push;

/// <summary>What one phase of <c>push</c> measured.</summary>
public sealed class SendPhase
{
    public long Ok { get; init; }
    public long Attempts { get; init; }
    public TimeSpan Elapsed { get; init; }
    public double PerSecond => Elapsed > TimeSpan.Zero ? Ok / Elapsed.TotalSeconds : 0;
    public double[] LatencyMs { get; init; } = [];
    public long AllocatedBytes { get; init; }
    public double BytesPerSend => Attempts > 0 ? (double)AllocatedBytes / Attempts : 0;
    public int[] Collections { get; init; } = [];
    public IReadOnlyDictionary<string, long> Errors { get; init; } = new Dictionary<string, long>();
    public IReadOnlyList<string> ErrorSamples { get; init; } = [];
    /// <summary>CPU time during the phase: "driver", "loopback" (child process) and "machine" (all processes).</summary>
    public Dictionary<string, TimeSpan> Cpu { get; } = new(StringComparer.Ordinal);
    public long WorkingSetAfter { get; set; }
    public long GcHeapAfter { get; set; }
    public long ManagedInUseAfter { get; set; }
    public (long Rss, long Peak)? LoopbackMemory { get; set; }
    public string? LoopbackSummary { get; set; }

    public double CpuMicrosPerSend(string who) => Cpu.TryGetValue(who, out var t) && Ok > 0 ? t.TotalMicroseconds / Ok : double.NaN;
}

/// <summary>
/// Closed loop: <c>concurrency</c> senders each send, await the result, send again, until a deadline or until a
/// number of sends have been started. Nothing is allocated per send by the loop itself except what awaiting the
/// <c>send</c> delegate costs (the same in both phases): latencies go to one preallocated array.
/// </summary>
public static class SendLoop
{
    /// <param name="send">Sends number n; null when it succeeded, else a short error key.</param>
    /// <param name="expected">Roughly how many sends to expect, to size the latency array up front.</param>
    public static async Task<SendPhase> RunAsync(int concurrency, TimeSpan? duration, long? count, long expected,
        Func<long, CancellationToken, Task<string?>> send, IReadOnlyDictionary<string, Process> processes, CancellationToken ct)
    {
        var latencies = new long[Math.Clamp(expected, 1024, 32_000_000)];
        var errors = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var samples = new ConcurrentQueue<string>();
        long next = 0, ok = 0, recorded = 0;

        var cpuBefore = processes.ToDictionary(p => p.Key, p => CpuWindow.Cpu(p.Value));
        var idleBefore = CpuWindow.MachineIdle();
        var gcBefore = Enumerable.Range(0, 3).Select(GC.CollectionCount).ToArray();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        var deadline = duration is { } d ? start + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;

        async Task Sender()
        {
            while (!ct.IsCancellationRequested)
            {
                var sent = Stopwatch.GetTimestamp();
                if (sent >= deadline) break;
                var n = Interlocked.Increment(ref next) - 1;
                if (n >= count) break;
                string? error;
                try
                {
                    error = await send(n, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                {
                    error = e.GetType().Name;
                    if (samples.Count < 3) samples.Enqueue(e.Message);
                }
                if (error is null)
                {
                    var took = Stopwatch.GetTimestamp() - sent;
                    Interlocked.Increment(ref ok);
                    var i = Interlocked.Increment(ref recorded) - 1;
                    if (i < latencies.Length) latencies[i] = took;
                }
                else
                {
                    errors.AddOrUpdate(error, 1, (_, c) => c + 1);
                    if (samples.Count < 3) samples.Enqueue(error);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Sender, ct)));
        var elapsed = Stopwatch.GetElapsedTime(start);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var gcAfter = Enumerable.Range(0, 3).Select(GC.CollectionCount).ToArray();

        var phase = new SendPhase
        {
            Ok = ok,
            Attempts = Math.Min(Interlocked.Read(ref next), count ?? long.MaxValue),
            Elapsed = elapsed,
            AllocatedBytes = allocated,
            Collections = [.. gcAfter.Zip(gcBefore, (a, b) => a - b)],
            Errors = errors,
            ErrorSamples = [.. samples],
            LatencyMs = Percentiles.Of([.. latencies.AsSpan(0, (int)Math.Min(recorded, latencies.Length))], 50, 99, 100),
        };
        foreach (var (name, process) in processes) phase.Cpu[name] = CpuWindow.Cpu(process) - cpuBefore[name];
        if (idleBefore is { } i0 && CpuWindow.MachineIdle() is { } i1)
            phase.Cpu[CpuWindow.Machine] = elapsed * Environment.ProcessorCount - (i1 - i0);
        return phase;
    }
}
