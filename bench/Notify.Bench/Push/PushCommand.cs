using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Notify.Bench.Load;
using Notify.Channels.Fcm;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;

namespace Notify.Bench.Push;

/// <summary>
/// <c>push</c>: alert pushes per second through ONE <see cref="FcmProvider"/> against the loopback FCM, then the
/// baseline: as many raw HTTP POSTs of the same pre-serialized bodies (built by the adapter's own
/// <see cref="FcmMessageBuilder"/>) with a fixed bearer token, from a plain <see cref="HttpClient"/>, at the same
/// concurrency. Adapter / raw is what the adapter itself costs: the OAuth token cache, building the JSON, the
/// concurrency gate, the timeout, reading and classifying the reply. Each phase gets a fresh loopback (a child
/// process unless <c>--in-process</c>).
/// </summary>
public static class PushCommand
{
    private const int Pool = 1024;

    public static async Task<int> RunAsync(PushOptions options, string[] commandLine, CancellationToken ct)
    {
        Report.Machine();
        var self = Process.GetCurrentProcess();
        var messages = Messages(TimeProvider.System.GetUtcNow());
        Console.WriteLine($"loopback: {(options.InProcess ? "in this process" : "a child process per phase")}; {options.Concurrency} senders; " +
            $"warm-up {options.Warmup.TotalSeconds:0.#}s, measured {options.Duration.TotalSeconds:0.#}s; {Pool} distinct alert messages, sent round robin");

        try
        {
            // Phase 1: the adapter, for the duration.
            SendPhase adapter;
            long warmAdapter;
            var loopback = await LoopbackHost.StartAsync(options.InProcess, ct);
            await using (loopback)
            {
                var fcm = new FcmOptions { ServiceAccountFile = loopback.AccountPath, Endpoint = loopback.BaseUri };
                using var provider = new FcmProvider(fcm, TimeProvider.System, NullLogger<FcmProvider>.Instance);
                Console.WriteLine($"adapter: FcmProvider (MaxConcurrency {fcm.MaxConcurrency}, default handler) → {loopback.BaseUri}");
                Func<long, CancellationToken, Task<string?>> send = async (n, token) =>
                {
                    var result = await provider.SendAsync(messages[n % Pool], token).ConfigureAwait(false);
                    return result.Outcome == SendOutcome.Sent ? null : $"{result.Outcome} {result.Status} {result.Reason}";
                };
                var processes = Processes(self, loopback);
                var warm = await WarmAsync(options, send, processes, ct);
                warmAdapter = warm.Attempts;
                Console.WriteLine($"adapter warm-up: {warm.Ok:N0} pushes, {warm.Errors.Values.Sum()} errors");
                if (warm.Ok == 0) return Fail("adapter warm-up", warm);
                var expected = (long)(warm.PerSecond * options.Duration.TotalSeconds * 2) + 1024;
                adapter = await SendLoop.RunAsync(options.Concurrency, options.Duration, null, expected, send, processes, ct);
                AfterPhase(adapter, loopback);
                Console.WriteLine($"adapter: {adapter.Ok:N0} pushes in {adapter.Elapsed.TotalSeconds:F2}s = {adapter.PerSecond:N0}/s");
            }
            adapter.LoopbackSummary = loopback.Summary;

            // Phase 2: raw POSTs of the same bodies, the same number, after the same warm-up time.
            SendPhase raw;
            string version;
            var loopback2 = await LoopbackHost.StartAsync(options.InProcess, ct);
            await using (loopback2)
            {
                var tokens = new FcmAccessTokens(await File.ReadAllTextAsync(loopback2.AccountPath, ct), TimeProvider.System, null);
                var token = await tokens.GetAsync(ct);
                if (token.Token is null) throw new InvalidOperationException($"no access token from the loopback: {token.Failure}");
                var now = TimeProvider.System.GetUtcNow();
                var bodies = messages.Select(m => FcmMessageBuilder.Build(m, now).Body!).ToArray();
                var sendUri = new Uri(loopback2.BaseUri, "/v1/projects/notify-bench/messages:send");
                using var http = new HttpClient(new SocketsHttpHandler(), disposeHandler: true);
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
                Console.WriteLine($"raw: HttpClient POST {sendUri} with a fixed bearer token; bodies {bodies.Min(b => b.Length)}–{bodies.Max(b => b.Length)} bytes");
                var seen = new Version(0, 0);
                Func<long, CancellationToken, Task<string?>> send = async (n, ct2) =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, sendUri)
                    {
                        // As the adapter asks: HTTP/2 or lower (over cleartext that is HTTP/1.1 for both).
                        Version = HttpVersion.Version20,
                        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
                        Content = new ByteArrayContent(bodies[n % Pool]),
                    };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json", "utf-8");
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct2).ConfigureAwait(false);
                    seen = response.Version;
                    return response.StatusCode == HttpStatusCode.OK ? null : ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                };
                var processes = Processes(self, loopback2);
                var warm = await WarmAsync(options, send, processes, ct);
                Console.WriteLine($"raw warm-up: {warm.Ok:N0} requests, {warm.Errors.Values.Sum()} errors");
                if (warm.Ok == 0) return Fail("raw warm-up", warm);
                raw = await SendLoop.RunAsync(options.Concurrency, null, adapter.Attempts, adapter.Attempts, send, processes, ct);
                AfterPhase(raw, loopback2);
                version = seen.ToString();
                Console.WriteLine($"raw: {raw.Ok:N0} requests in {raw.Elapsed.TotalSeconds:F2}s = {raw.PerSecond:N0}/s (HTTP/{version})");
            }
            raw.LoopbackSummary = loopback2.Summary;

            // The adapter's parts, one thread, no network: building the body, and the cached access token.
            var parts = new List<(string, double, double)> { Part("FcmMessageBuilder.Build (alert → UTF-8 body)", n => GC.KeepAlive(FcmMessageBuilder.Build(messages[n % Pool], TimeProvider.System.GetUtcNow()))) };
            await using (var loopback3 = await LoopbackHost.StartAsync(options.InProcess, ct))
            {
                var tokens = new FcmAccessTokens(await File.ReadAllTextAsync(loopback3.AccountPath, ct), TimeProvider.System, null);
                await tokens.GetAsync(ct);
                parts.Add(Part("FcmAccessTokens.GetAsync (cached token)", _ => tokens.GetAsync(ct).GetAwaiter().GetResult()));

                // The whole SendAsync and a plain HttpClient POST over a handler that answers at once: no sockets,
                // no loopback, no scheduling; only what each does per send.
                using var stub = new StubFcmHandler();
                var fcm = new FcmOptions { ServiceAccountFile = loopback3.AccountPath, Endpoint = loopback3.BaseUri };
                using var provider = new FcmProvider(fcm, TimeProvider.System, NullLogger<FcmProvider>.Instance, stub);
                parts.Add(Part("FcmProvider.SendAsync over a stub handler (whole adapter, no network)",
                    n => provider.SendAsync(messages[n % Pool], ct).GetAwaiter().GetResult()));
                using var plain = new HttpClient(stub, disposeHandler: false);
                plain.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ya29.stub");
                var body = FcmMessageBuilder.Build(messages[0], TimeProvider.System.GetUtcNow()).Body!;
                var uri = new Uri(loopback3.BaseUri, "/v1/projects/notify-bench/messages:send");
                parts.Add(Part("raw HttpClient POST of a pre-built body over the same stub handler", _ =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json", "utf-8");
                    using var response = plain.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).GetAwaiter().GetResult();
                }));
            }

            Print(options, commandLine, adapter, raw, version, warmAdapter, parts);
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Console.Error.WriteLine($"push failed: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>At least the warm-up time and at least 2,000 sends (so tiered JIT has compiled the hot paths
    /// of both the adapter and the HTTP stack), at most 60 s.</summary>
    private static async Task<SendPhase> WarmAsync(PushOptions options, Func<long, CancellationToken, Task<string?>> send,
        IReadOnlyDictionary<string, Process> processes, CancellationToken ct)
    {
        const long MinSends = 2_000;
        var warm = await SendLoop.RunAsync(options.Concurrency, options.Warmup, null, 1024, send, processes, ct);
        var sends = warm.Ok;
        var limit = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        while (sends < MinSends && warm.Ok > 0 && Stopwatch.GetTimestamp() < limit)
        {
            warm = await SendLoop.RunAsync(options.Concurrency, null, MinSends - sends, MinSends, send, processes, ct);
            sends += warm.Ok;
        }
        return new SendPhase { Ok = sends, Attempts = sends, Elapsed = TimeSpan.FromSeconds(1), Errors = warm.Errors, ErrorSamples = warm.ErrorSamples };
    }

    /// <summary>Mean time and bytes allocated per call of <paramref name="op"/> on this thread (after a warm-up).</summary>
    private static (string, double, double) Part(string name, Action<int> op)
    {
        const int Warm = 2_000, Runs = 20_000;
        for (var i = 0; i < Warm; i++) op(i);
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < Runs; i++) op(i);
        var micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds / Runs;
        return (name, micros, (GC.GetAllocatedBytesForCurrentThread() - bytes) / (double)Runs);
    }

    private static Dictionary<string, Process> Processes(Process self, LoopbackHost loopback)
    {
        var processes = new Dictionary<string, Process>(StringComparer.Ordinal) { ["driver"] = self };
        if (loopback.Process is { } child) processes["loopback"] = child;
        return processes;
    }

    private static void AfterPhase(SendPhase phase, LoopbackHost loopback)
    {
        phase.WorkingSetAfter = Environment.WorkingSet;
        phase.GcHeapAfter = GC.GetGCMemoryInfo().HeapSizeBytes;
        phase.ManagedInUseAfter = GC.GetTotalMemory(forceFullCollection: false);
        phase.LoopbackMemory = loopback.ChildMemory();
    }

    private static int Fail(string what, SendPhase phase)
    {
        Console.Error.WriteLine($"{what}: nothing succeeded; errors: {string.Join(", ", phase.Errors.Select(e => $"{e.Key} × {e.Value}"))}");
        foreach (var sample in phase.ErrorSamples) Console.Error.WriteLine("  " + sample);
        return 1;
    }

    /// <summary>Alert pushes as the dispatcher makes them: title, body, two data keys, high priority, a collapse key,
    /// an hour to live; each to its own 163-character FCM-like token.</summary>
    private static PushMessage[] Messages(DateTimeOffset now) =>
    [
        .. Enumerable.Range(0, Pool).Select(i =>
        {
            var token = $"bench{i:D5}:APA91b" + new string((char)('A' + i % 26), 147);
            var payload = new NotificationPayload($"ntf_bench{i:D6}", "message", "New message from Ana", "Are we still on for 3pm? I booked the room.",
                new JsonObject { ["threadId"] = $"t-{i % 37}", ["senderId"] = "u-42" }, Priority.High, now, now.AddHours(1));
            return new PushMessage(new PushRegistration("fcm", token, null, null), PushKind.Alert, payload, $"thread-t-{i % 37}");
        }),
    ];

    private static void Print(PushOptions options, string[] commandLine, SendPhase adapter, SendPhase raw, string version, long warmAdapter,
        List<(string Name, double Micros, double Bytes)> parts)
    {
        var w = Console.Out;
        string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        string F(double v, int digits = 2) => double.IsNaN(v) ? "–" : v.ToString("F" + digits, CultureInfo.InvariantCulture);
        string Mb(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);
        string Cores(SendPhase p, string who) => p.Cpu.TryGetValue(who, out var t) ? F(t.TotalSeconds / p.Elapsed.TotalSeconds) : "–";

        w.WriteLine();
        w.WriteLine("## Notify push run (one FCM adapter against the loopback)");
        w.WriteLine();
        w.WriteLine($"command: `Notify.Bench {string.Join(' ', commandLine)}`");
        w.WriteLine($"loopback: {(options.InProcess ? "in the driver's process" : "child process, a fresh one per phase")}; concurrency {options.Concurrency}; " +
            $"warm-up {options.Warmup.TotalSeconds:0.#}s ({N(warmAdapter)} adapter pushes); HTTP/{version} over 127.0.0.1; " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC; {Environment.ProcessorCount} cores; load average at the end: " +
            (File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown"));
        w.WriteLine();
        w.WriteLine("| measure | adapter (`FcmProvider.SendAsync`) | raw `HttpClient` POST | adapter / raw |");
        w.WriteLine("|---|---:|---:|---:|");
        w.WriteLine($"| sends (ok / attempted) | {N(adapter.Ok)} / {N(adapter.Attempts)} | {N(raw.Ok)} / {N(raw.Attempts)} | |");
        w.WriteLine($"| elapsed, s | {F(adapter.Elapsed.TotalSeconds)} | {F(raw.Elapsed.TotalSeconds)} | |");
        w.WriteLine($"| **sends/s** | **{N(adapter.PerSecond)}** | **{N(raw.PerSecond)}** | **{F(adapter.PerSecond / raw.PerSecond)}** |");
        w.WriteLine($"| latency per send p50 / p99 / max, ms | {F(adapter.LatencyMs[0])} / {F(adapter.LatencyMs[1])} / {F(adapter.LatencyMs[2])} | " +
            $"{F(raw.LatencyMs[0])} / {F(raw.LatencyMs[1])} / {F(raw.LatencyMs[2])} | {F(adapter.LatencyMs[0] / raw.LatencyMs[0])} (p50) |");
        w.WriteLine($"| allocated per send, bytes (whole driver process) | {N(adapter.BytesPerSend)} | {N(raw.BytesPerSend)} | {F(adapter.BytesPerSend / raw.BytesPerSend)} |");
        w.WriteLine($"| driver CPU per send, µs | {F(adapter.CpuMicrosPerSend("driver"), 1)} | {F(raw.CpuMicrosPerSend("driver"), 1)} | " +
            $"{F(adapter.CpuMicrosPerSend("driver") / raw.CpuMicrosPerSend("driver"))} |");
        w.WriteLine($"| CPU, cores: driver / loopback / machine | {Cores(adapter, "driver")} / {Cores(adapter, "loopback")} / {Cores(adapter, CpuWindow.Machine)} | " +
            $"{Cores(raw, "driver")} / {Cores(raw, "loopback")} / {Cores(raw, CpuWindow.Machine)} | |");
        w.WriteLine($"| GCs in the phase (gen0 / gen1 / gen2) | {string.Join(" / ", adapter.Collections)} | {string.Join(" / ", raw.Collections)} | |");
        w.WriteLine($"| driver after the phase: working set / GC heap / managed in use, MB | {Mb(adapter.WorkingSetAfter)} / {Mb(adapter.GcHeapAfter)} / {Mb(adapter.ManagedInUseAfter)} | " +
            $"{Mb(raw.WorkingSetAfter)} / {Mb(raw.GcHeapAfter)} / {Mb(raw.ManagedInUseAfter)} | |");
        if (adapter.LoopbackMemory is { } la && raw.LoopbackMemory is { } lr)
            w.WriteLine($"| loopback process at the end: RSS / peak RSS, MB | {Mb(la.Rss)} / {Mb(la.Peak)} | {Mb(lr.Rss)} / {Mb(lr.Peak)} | |");
        w.WriteLine();
        foreach (var (name, p) in new[] { ("adapter", adapter), ("raw", raw) })
        {
            if (p.Errors.Count > 0)
                w.WriteLine($"{name} errors: {string.Join(", ", p.Errors.Select(e => $"{e.Key} × {e.Value}"))}; e.g. {string.Join(" | ", p.ErrorSamples)}");
            if (p.LoopbackSummary is not null) w.WriteLine($"{name} loopback: {p.LoopbackSummary}");
        }
        w.WriteLine();
        w.WriteLine("| part of a send (one thread, in the driver, mean of 20,000 after 2,000) | µs | allocated, bytes |");
        w.WriteLine("|---|---:|---:|");
        foreach (var (name, micros, bytes) in parts) w.WriteLine($"| {name} | {F(micros)} | {N(bytes)} |");
        w.WriteLine();
        w.WriteLine($"peak working set of the driver: {Mb(Process.GetCurrentProcess().PeakWorkingSet64)} MB");
    }
}
