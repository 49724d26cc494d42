using System.Globalization;
using System.Security.Cryptography;
using Notify.Bench.Load;

namespace Notify.Bench.Edge;

/// <summary>
/// <c>idle</c>: memory per idle device connection, held by the server directly or by Pushpin in front of it
/// (<c>--edge</c>). Resident memory (VmRSS) of the server and of every <c>--edge-pid</c> process tree (pushpin,
/// zurl) is read before the devices connect and after they have been connected, active and idle for
/// <c>--duration</c> seconds; the difference over the number of connections is the cost of one.
/// </summary>
public static class IdleCommand
{
    public const string Usage = """
        usage: Notify.Bench idle [load flags: --url, --start-server, --users, --duration, --app-key, --server-env, --edge URL] [--edge-pid PID]...
          devices connect (to --edge when given), stay idle (pinging every 25 s) for --duration seconds, and the resident memory of
          the server and of each --edge-pid process tree is reported before and after, per connection
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
        var repo = options!.Repo ?? Directory.GetCurrentDirectory();
        await using var server = options.StartServer ? await ServerProcess.StartAsync(repo, options.UrlGiven ? options.Url : null, options.ServerEnvironment, ct) : null;
        var url = server?.Url ?? options.Url;
        using var app = Http.Client(url, 16, options.AppKey);

        var serverBefore = server is null ? 0 : Rss(server.Process.Id);
        var edgeBefore = edgePids.Sum(TreeRss);
        var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        await using var fleet = await DeviceFleet.SetupAsync(app, options.Edge ?? url, runId, options.Users, false, ct);
        await Task.Delay(options.Duration, ct); // the measured thing is idleness itself: hold the connections this long
        GC.KeepAlive(fleet);
        var serverAfter = server is null ? 0 : Rss(server.Process.Id);
        var edgeAfter = edgePids.Sum(TreeRss);

        var n = options.Users;
        Console.WriteLine($"| {n:N0} idle devices via {(options.Edge is null ? "the server directly" : "Pushpin " + options.Edge)} | before, MB | after, MB | per connection, KB |");
        Console.WriteLine("|---|---:|---:|---:|");
        if (server is not null)
            Console.WriteLine($"| Notify server (pid {server.Process.Id}) | {serverBefore / 1024.0:F0} | {serverAfter / 1024.0:F0} | {(serverAfter - serverBefore) / (double)n:F1} |");
        if (edgePids.Count > 0)
            Console.WriteLine($"| Pushpin + zurl (pids {string.Join(", ", edgePids)} and children) | {edgeBefore / 1024.0:F0} | {edgeAfter / 1024.0:F0} | {(edgeAfter - edgeBefore) / (double)n:F1} |");
        Console.WriteLine($"device sockets open at the end: {fleet.Open} of {n}; server errors {fleet.ServerErrors} {fleet.LastServerError}");
        foreach (var ended in fleet.Ended()) Console.WriteLine($"  ended: {ended}");
        return 0;
    }

    /// <summary>VmRSS of one process, in KB (0 when it is gone).</summary>
    private static long Rss(int pid)
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
