using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Notify.Bench.Load;

namespace Notify.Bench.Edge;

/// <summary>
/// <c>burst</c>: delivery over connections under a burst. <c>--users</c> devices (default 10,000) connect over
/// WebSocket (<see cref="SocketFleet"/>, in this process; the server in its own) and report themselves active; then one
/// notify per device goes out as fast as <c>--concurrency</c> HTTP connections carry them, and each notification's
/// time from the moment its request was sent to its arrival on the device is taken. Prints p50/p90/p99/max and how many
/// accepted notifications never arrived within <c>--latency-timeout</c> after the last answer.
/// </summary>
public static class BurstCommand
{
    private const double P99TargetMs = 1000;
    private const int WarmUp = 100;

    public const string Usage = """
        usage: Notify.Bench burst [load flags: --url, --start-server, --repo, --users N (default 10000), --concurrency N (default 64),
                                   --latency-timeout S, --app-key, --server-env]
          N devices connect and report active; after a warm-up of 100 notifies, N notifies (one per device) go out as fast as
          --concurrency connections carry them; prints notify → device p50/p90/p99/max and the notifications lost
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!LoadOptions.TryParse(args, out var options, out var error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var n = args.Contains("--users") ? options!.Users : 10_000;
        Console.WriteLine(SocketFleet.RaiseFileLimit((ulong)(2 * n + 10_000)));
        Report.Machine();
        var repo = options!.Repo ?? Directory.GetCurrentDirectory();
        await using var server = options.StartServer ? await ServerProcess.StartAsync(repo, options.UrlGiven ? options.Url : null, options.ServerEnvironment, ct) : null;
        var url = server?.Url ?? options.Url;
        using var app = Http.Client(url, Math.Max(32, options.Concurrency), options.AppKey);

        var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var tokens = await SocketFleet.RegisterAsync(app, runId, n, ct);
        await using var fleet = await SocketFleet.ConnectAsync(url, tokens, reportActive: true, ct);
        if (fleet.ConnectFailures > 0)
        {
            Console.WriteLine($"NOT connected: {fleet.ConnectFailures} of {n} devices ({fleet.LastError}); no burst");
            return 1;
        }
        // The state reports are fire-and-forget: wait until the server shows every device online and active.
        await DeviceFleet.WaitActiveAsync(app, Enumerable.Range(0, n).Select(i => SocketFleet.UserId(runId, i)), TimeSpan.FromSeconds(120), ct);

        var bodies = Enumerable.Range(0, n).Select(i => Encoding.UTF8.GetBytes(
            $$"""{"userId":"{{SocketFleet.UserId(runId, i)}}","category":"mention","title":"Burst","body":"One notification to each device at once"}""")).ToArray();
        var warm = await BurstAsync(app, fleet, bodies[..Math.Min(WarmUp, n)], options.Concurrency, options.LatencyTimeout, server, ct);
        var burst = await BurstAsync(app, fleet, bodies, options.Concurrency, options.LatencyTimeout, server, ct);
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";

        var p = Percentiles.Of(burst.FromSend, 50, 90, 99, 100);
        Console.WriteLine();
        Console.WriteLine($"command: `Notify.Bench burst {string.Join(' ', args)}`");
        Console.WriteLine($"{n:N0} devices connected over WebSocket; {options.Concurrency} HTTP connections; {Environment.ProcessorCount} cores; " +
            $"load average at the end: {load}");
        if (options.ServerEnvironment.Count > 0)
            Console.WriteLine($"server environment added: {string.Join(", ", options.ServerEnvironment.Select(e => $"{e.Key}={e.Value}"))}");
        Console.WriteLine();
        Console.WriteLine("| measure | result | target |");
        Console.WriteLine("|---|---:|---|");
        Console.WriteLine($"| burst: {n:N0} notifies (one per device) sent in, s | {burst.Elapsed.TotalSeconds:F2} ({n / burst.Elapsed.TotalSeconds:N0}/s) | as fast as the driver sends |");
        Console.WriteLine($"| notify → device, from the request's send: p50 / p90 / p99 / max, ms | {F(p[0])} / {F(p[1])} / {F(p[2])} / {F(p[3])} | " +
            $"p99 < {P99TargetMs:F0} ms {(p[2] < P99TargetMs ? "met" : "NOT met")} |");
        Console.WriteLine($"| accepted (202) | {burst.Accepted:N0} of {n:N0} | all |");
        Console.WriteLine($"| accepted but not received within {options.LatencyTimeout.TotalSeconds:F0} s | {burst.Lost} | 0 |");
        if (server is not null)
            Console.WriteLine($"| server CPU during the burst, cores | {burst.ServerCpu.TotalSeconds / burst.Elapsed.TotalSeconds:F2} | |");
        Console.WriteLine();
        Console.WriteLine($"warm-up before it: {warm.Accepted} notifies, p99 {F(Percentiles.Of(warm.FromSend, 99)[0])} ms, lost {warm.Lost}");
        foreach (var (what, count) in burst.Errors) Console.WriteLine($"errors: {count} × {what}");
        if (burst.Unclaimed > 0) Console.WriteLine($"received without a 202 of this burst: {burst.Unclaimed}");
        Console.WriteLine($"device sockets open at the end: {fleet.Open:N0} of {n:N0}; server errors to devices {fleet.Errors} {fleet.LastError}");
        return burst.Lost == 0 && burst.Accepted == n ? 0 : 1;
    }

    private static string F(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);

    private sealed record Outcome(int Accepted, int Lost, int Unclaimed, List<long> FromSend, TimeSpan Elapsed, TimeSpan ServerCpu, Dictionary<string, int> Errors);

    private static async Task<Outcome> BurstAsync(HttpClient app, SocketFleet fleet, byte[][] bodies, int concurrency, TimeSpan timeout,
        ServerProcess? server, CancellationToken ct)
    {
        var tracker = new LatencyTracker();
        fleet.OnNotification = (_, id, at) => tracker.Received(id, at);
        var errors = new Dictionary<string, int>();
        var accepted = 0;
        var gate = new SemaphoreSlim(concurrency);
        var cpuBefore = server is null ? TimeSpan.Zero : CpuWindow.Cpu(server.Process);
        var start = Stopwatch.GetTimestamp();

        async Task SendOne(byte[] body)
        {
            await gate.WaitAsync(ct);
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var response = await app.SendAsync(Http.Post("/v1/notify", body), ct);
                var bytes = await response.Content.ReadAsByteArrayAsync(ct);
                if (response.StatusCode == HttpStatusCode.Accepted && PacedLatency.NotificationId(bytes) is { } id)
                {
                    Interlocked.Increment(ref accepted);
                    tracker.Accepted(id, sent, sent);
                }
                else Count($"{(int)response.StatusCode} {Encoding.UTF8.GetString(bytes)}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Count($"{e.GetType().Name}: {e.Message}");
            }
            finally { gate.Release(); }
        }

        void Count(string what)
        {
            lock (errors) errors[what] = errors.GetValueOrDefault(what) + 1;
        }

        await Task.WhenAll(bodies.Select(SendOne));
        var elapsed = Stopwatch.GetElapsedTime(start);
        var serverCpu = server is null ? TimeSpan.Zero : CpuWindow.Cpu(server.Process) - cpuBefore;
        var waitUntil = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (tracker.Pending > 0 && Stopwatch.GetTimestamp() < waitUntil) await Task.Delay(20, ct);
        fleet.OnNotification = null;
        return new Outcome(accepted, tracker.Pending, tracker.Unclaimed, tracker.FromSend, elapsed, serverCpu, errors);
    }
}
