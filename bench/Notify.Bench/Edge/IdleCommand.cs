using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Notify.Bench.Load;

namespace Notify.Bench.Edge;

/// <summary>
/// <c>idle</c>: memory per idle device connection, held by the server directly or by Pushpin in front of it
/// (<c>--edge</c>). The devices run in this process (<see cref="SocketFleet"/>), the server in its own
/// (<c>--start-server</c>), so the figure is the server's alone. Resident memory (VmRSS) of the server is read when it
/// has started, after the users and devices are registered, and after the devices have connected and stayed
/// connected, pinging every 25 s, for <c>--duration</c> seconds; the difference over the number of connections is the
/// cost of one. Every <c>--edge-pid</c> process tree (pushpin, zurl) is measured the same way.
/// </summary>
public static partial class IdleCommand
{
    public const string Usage = """
        usage: Notify.Bench idle [load flags: --url, --start-server, --repo, --users (up to 100000), --duration, --app-key, --server-env, --edge URL] [--edge-pid PID]...
          devices connect (to --edge when given) from loopback aliases 127.0.0.2, 127.0.0.3, … (20,000 each), stay idle
          (pinging every 25 s) for --duration seconds; prints the resident memory of the server and of each --edge-pid
          process tree at start, after registration and after the hold, and the cost per connection
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var edgePids = new List<int>();
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--edge-pid" && i + 1 < args.Length) edgePids.Add(int.Parse(args[++i], CultureInfo.InvariantCulture));
            else rest.Add(args[i]);
        }
        if (!LoadOptions.TryParse([.. rest], out var options, out var error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var n = options!.Users;
        var fileLimit = SocketFleet.RaiseFileLimit((ulong)(2 * n + 10_000));
        Report.Machine();
        Console.WriteLine(fileLimit);
        var repo = options.Repo ?? Directory.GetCurrentDirectory();
        await using var server = options.StartServer ? await ServerProcess.StartAsync(repo, options.UrlGiven ? options.Url : null, options.ServerEnvironment, ct) : null;
        var url = server?.Url ?? options.Url;
        using var app = Http.Client(url, 32, options.AppKey);

        var started = Snapshot(server, edgePids);
        var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var clock = Stopwatch.StartNew();
        var tokens = await SocketFleet.RegisterAsync(app, runId, n, ct);
        var registeredIn = clock.Elapsed;
        var registered = Snapshot(server, edgePids);
        var heapRegistered = await RuntimeMetricsAsync(app, ct);
        clock.Restart();
        await using var fleet = await SocketFleet.ConnectAsync(options.Edge ?? url, tokens, reportActive: true, ct);
        var connectedIn = clock.Elapsed;
        var cpuBefore = server is null ? TimeSpan.Zero : CpuWindow.Cpu(server.Process);
        clock.Restart();
        await Task.Delay(options.Duration, ct); // the measured thing is idleness itself: hold the connections this long
        var held = clock.Elapsed;
        var serverCpu = server is null ? TimeSpan.Zero : CpuWindow.Cpu(server.Process) - cpuBefore;
        var after = Snapshot(server, edgePids);
        var serverCount = await ServerConnectionsAsync(app, ct);
        var heapAfter = await RuntimeMetricsAsync(app, ct);
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";

        Console.WriteLine();
        Console.WriteLine($"command: `Notify.Bench idle {string.Join(' ', args)}`");
        Console.WriteLine($"{n:N0} devices registered in {registeredIn.TotalSeconds:F0} s, connected in {connectedIn.TotalSeconds:F0} s, held {held.TotalSeconds:F0} s; " +
            $"{Environment.ProcessorCount} cores; load average at the end: {load}");
        if (options.ServerEnvironment.Count > 0)
            Console.WriteLine($"server environment added: {string.Join(", ", options.ServerEnvironment.Select(e => $"{e.Key}={e.Value}"))}");
        Console.WriteLine();
        Console.WriteLine($"| {fleet.Open:N0} idle devices via {(options.Edge is null ? "the server directly" : "Pushpin " + options.Edge)} | started, MB | registered, MB | connected and held, MB | per connection, KB | per device incl. registration, KB |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        if (server is not null)
            Row($"Notify server (pid {server.Process.Id})", started.Server, registered.Server, after.Server, fleet.Open);
        if (edgePids.Count > 0)
            Row($"Pushpin + zurl (pids {string.Join(", ", edgePids)} and children)", started.Edge, registered.Edge, after.Edge, fleet.Open);
        Console.WriteLine();
        if (server is not null)
            Console.WriteLine($"server CPU while held (heartbeats: a ping from every device each {SocketFleet.PingEvery.TotalSeconds:F0} s): " +
                $"{serverCpu.TotalSeconds / held.TotalSeconds * 100:F1}% of one core");
        if (fleet.ConnectFailures > 0) Console.WriteLine($"NOT connected: {fleet.ConnectFailures:N0} of {n:N0} devices ({fleet.LastError})");
        if (heapAfter is not null && heapRegistered is not null && fleet.Open > 0)
            Console.WriteLine($"server's managed heap after its last GC: {heapRegistered.Value.Heap / 1048576.0:F0} MB registered → {heapAfter.Value.Heap / 1048576.0:F0} MB held " +
                $"(**{(heapAfter.Value.Heap - heapRegistered.Value.Heap) / 1024.0 / fleet.Open:F1} KB per connection**, live objects and garbage of the last GC); " +
                $"GC committed {heapAfter.Value.Committed / 1048576.0:F0} MB");
        Console.WriteLine($"device sockets open at the end: {fleet.Open:N0} of {n:N0}; the server counts {serverCount} open connections; " +
            $"server errors {fleet.Errors} {fleet.LastError}");
        foreach (var ended in fleet.Ended()) Console.WriteLine($"  ended: {ended}");
        if (server is not null && (server.Process.HasExited || fleet.Open < n))
            Console.WriteLine($"the server {(server.Process.HasExited ? $"exited with code {server.Process.ExitCode}" : "is running")}; its last lines:\n" +
                string.Join('\n', server.Lines.TakeLast(40)));
        return fleet.Open == n ? 0 : 1;
    }

    private static void Row(string what, long started, long registered, long after, int n) =>
        Console.WriteLine($"| {what} | {started / 1024.0:F0} | {registered / 1024.0:F0} | {after / 1024.0:F0} | " +
            $"**{(after - registered) / (double)n:F1}** | {(after - started) / (double)n:F1} |");

    private static (long Server, long Edge) Snapshot(ServerProcess? server, List<int> edgePids) =>
        (server is null ? 0 : Rss(server.Process.Id), edgePids.Sum(TreeRss));

    /// <summary>The server's own gauge of open realtime connections, from <c>/metrics</c> (null when not found).</summary>
    public static async Task<long?> ServerConnectionsAsync(HttpClient app, CancellationToken ct)
    {
        try
        {
            var text = await app.GetStringAsync("/metrics", ct);
            return ConnectionsGauge().Match(text) is { Success: true } m ? (long)double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        }
        catch (HttpRequestException) { return null; }
    }

    /// <summary>The server's runtime metrics (System.Runtime and Kestrel meters at <c>/metrics</c>): GC heap after the last
    /// collection (all generations) and GC committed memory; null when not exported.</summary>
    private static async Task<(double Heap, double Committed)?> RuntimeMetricsAsync(HttpClient app, CancellationToken ct)
    {
        try
        {
            var text = await app.GetStringAsync("/metrics", ct);
            double Sum(string name) => text.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
            var heap = Sum("system_runtime_dotnet_gc_last_collection_heap_size");
            return heap == 0 ? null : (heap, Sum("system_runtime_dotnet_gc_last_collection_memory_committed_size"));
        }
        catch (Exception e) when (e is HttpRequestException or FormatException) { return null; }
    }

    [GeneratedRegex(@"^notify_connections\S*\s+([0-9.e+]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ConnectionsGauge();

    /// <summary>VmRSS of one process, in KB (0 when it is gone).</summary>
    public static long Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException) { return 0; }
    }

    /// <summary>VmRSS of a process and all its descendants, in KB.</summary>
    private static long TreeRss(int pid)
    {
        var total = Rss(pid);
        var children = $"/proc/{pid}/task/{pid}/children";
        if (File.Exists(children))
            foreach (var child in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                total += TreeRss(int.Parse(child, CultureInfo.InvariantCulture));
        return total;
    }
}
