using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Notify.Bench.Load;

/// <summary>
/// <c>load</c>: (a) the bare Kestrel baseline, (b) closed-loop <c>POST /v1/notify</c> throughput with every
/// user's device connected and active, (c) paced notify-to-device latency at half the measured peak, (d) the
/// report. Every phase is bounded in time; the run as a whole takes about 2 × (warm-up + duration) + duration
/// + setup, well under three minutes with the defaults.
/// </summary>
public static class LoadCommand
{
    public static async Task<int> RunAsync(LoadOptions options, string[] commandLine, CancellationToken ct)
    {
        var repo = options.Repo ?? FindRepo();
        var report = new Report(options, commandLine);
        Report.Machine();

        ServerProcess? server = null;
        DeviceFleet? fleet = null;
        try
        {
            var url = options.Url;
            if (options.StartServer)
            {
                if (repo is null) throw new InvalidOperationException("--start-server needs the repository root; run from inside it or pass --repo");
                server = await ServerProcess.StartAsync(repo, options.UrlGiven ? options.Url : null, options.ServerEnvironment, ct);
                url = server.Url;
                Console.WriteLine($"started {ServerProcess.DllPath(repo)} at {url} (pid {server.Process.Id}, database {server.DatabasePath})");
            }
            report.Url = url;
            var processes = new Dictionary<string, Process>(StringComparer.Ordinal) { ["driver"] = Process.GetCurrentProcess() };
            if (server is not null) processes["server"] = server.Process;

            // (a) The same body, with user ids of the same length, as the notify phase sends.
            var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
            var bodies = Enumerable.Range(0, options.Users)
                .Select(i => Encoding.UTF8.GetBytes($$"""{"userId":"bench-{{runId}}-u{{i:D5}}","category":"mention","title":"Bench","body":"A load-test notification"}"""))
                .ToArray();
            if (!options.SkipBare)
            {
                await using var bare = await BareEndpoint.StartAsync(ct);
                using var client = Http.Client(bare.Url, options.Concurrency, null);
                await BareEndpoint.CheckAsync(client, bodies[0], ct);
                Console.WriteLine($"bare: {options.Concurrency} clients for {options.Warmup.TotalSeconds}s warm-up + {options.Duration.TotalSeconds}s at {bare.Url}echo");
                report.Bare = await ClosedLoop.RunAsync(client, options.Concurrency, options.Warmup, options.Duration, HttpStatusCode.Accepted,
                    (_, n) => Http.Post("/echo", bodies[n % bodies.Length]), null, processes, ct);
                Console.WriteLine($"bare: {report.Bare.PerSecond:N0} req/s");
            }

            // (b) Users, devices, sockets; then the closed loop.
            using var app = Http.Client(url, options.Concurrency, options.AppKey);
            var setup = Stopwatch.StartNew();
            fleet = await DeviceFleet.SetupAsync(app, options.Edge ?? url, runId, options.Users, options.Ack, ct);
            Console.WriteLine($"setup: {options.Users} users with an active desktop device connected in {setup.Elapsed.TotalSeconds:F1}s");
            await ProbeAsync(app, fleet, bodies[0], ct);

            var next = -1L;
            var before = fleet.Notifications;
            Console.WriteLine($"notify: {options.Concurrency} clients for {options.Warmup.TotalSeconds}s warm-up + {options.Duration.TotalSeconds}s at {url}v1/notify");
            report.Notify = await ClosedLoop.RunAsync(app, options.Concurrency, options.Warmup, options.Duration, HttpStatusCode.Accepted,
                (_, _) => Http.Post("/v1/notify", bodies[(int)(Interlocked.Increment(ref next) % bodies.Length)]), TagStatus, processes, ct);
            report.NotifyInApp = await SettleAsync(fleet, before, report.Notify.AllOk, ct);
            Console.WriteLine($"notify: {report.Notify.PerSecond:N0} req/s");

            // (c) Paced at half the peak (or --rate).
            var rate = options.Rate ?? Math.Max(1, report.Notify.PerSecond / 2);
            Console.WriteLine($"latency: {rate:N0} notifies/s paced for {options.Duration.TotalSeconds}s");
            report.Latency = await PacedLatency.RunAsync(app, fleet, i => bodies[i % bodies.Length], rate, options.Duration,
                options.LatencyTimeout, options.Concurrency * 4, processes, ct);
            report.OpenSockets = fleet.Open;
            report.FleetErrors = fleet.ServerErrors;
            report.LastFleetError = fleet.LastServerError;
            report.Print(server?.Lines);
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Console.Error.WriteLine($"load failed: {e.GetType().Name}: {e.Message}");
            if (server is not null)
            {
                Console.Error.WriteLine("server log (last lines):");
                foreach (var line in server.Lines.TakeLast(40)) Console.Error.WriteLine("  " + line);
            }
            return 1;
        }
        finally
        {
            if (fleet is not null) await fleet.DisposeAsync();
            if (server is not null) await server.DisposeAsync();
        }
    }

    /// <summary>One notify before measuring: it must be accepted and reach the device, or the run stops with why.</summary>
    private static async Task ProbeAsync(HttpClient app, DeviceFleet fleet, byte[] body, CancellationToken ct)
    {
        var got = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        fleet.OnNotification = (id, _) => got.TrySetResult(id);
        try
        {
            using var response = await app.SendAsync(Http.Post("/v1/notify", body), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"POST /v1/notify answered {(int)response.StatusCode}: {text}");
            using var doc = JsonDocument.Parse(text);
            var status = doc.RootElement.GetProperty("status").GetString();
            if (status != "delivered") throw new InvalidOperationException($"the probe notification was not delivered in-app: {text}");
            await got.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
        }
        finally
        {
            fleet.OnNotification = null;
        }
    }

    private static void TagStatus(byte[] body, PhaseResult result)
    {
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                result.Tag(reader.ValueTextEquals("delivered"u8) ? "delivered" : reader.GetString() ?? "?");
                return;
            }
        result.Tag("no status");
    }

    /// <summary>Waits (at most 5 s) for the devices to receive what was accepted; the in-app deliveries seen.</summary>
    private static async Task<long> SettleAsync(DeviceFleet fleet, long before, long accepted, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency;
        while (fleet.Notifications - before < accepted && Stopwatch.GetTimestamp() < deadline) await Task.Delay(50, ct);
        return fleet.Notifications - before;
    }

    private static string? FindRepo()
    {
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        for (var depth = 0; dir is not null && depth < 6; depth++, dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Notify.sln"))) return dir.FullName;
        return null;
    }
}
