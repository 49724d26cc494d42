using System.Diagnostics;
using Notify.Loopback.Fcm;

namespace Notify.Bench.Push;

/// <summary>
/// The loopback FCM (token endpoint and send endpoint) for one phase of <c>push</c>: by default in a child process
/// (this same executable, hidden command <c>push-loopback</c>), so its CPU, its GC and the requests it records
/// are not counted against the driver; with <c>--in-process</c> inside the driver. Each phase gets a fresh one:
/// the loopback keeps every request it answers, so a server that has already served a phase is slower and bigger.
/// </summary>
public sealed class LoopbackHost : IAsyncDisposable
{
    public const string ChildCommand = "push-loopback";
    private const string ProjectId = "notify-bench";

    private readonly Process? _child;
    private readonly FcmLoopbackServer? _server;
    private readonly DirectoryInfo _folder;

    private LoopbackHost(Uri baseUri, string accountPath, DirectoryInfo folder, Process? child, FcmLoopbackServer? server)
    {
        BaseUri = baseUri;
        AccountPath = accountPath;
        _folder = folder;
        _child = child;
        _server = server;
    }

    public Uri BaseUri { get; }

    /// <summary>The service-account JSON the loopback accepts.</summary>
    public string AccountPath { get; }

    /// <summary>The child process, null when in-process.</summary>
    public Process? Process => _child;

    /// <summary>What the loopback said when it stopped (child) or saw (in-process): requests answered, tokens issued.</summary>
    public string? Summary { get; private set; }

    public static async Task<LoopbackHost> StartAsync(bool inProcess, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("notify-bench-fcm-");
        if (inProcess)
        {
            var server = await FcmLoopbackServer.StartAsync(TimeProvider.System, ct);
            var account = server.CreateServiceAccount(folder.FullName, ProjectId);
            return new LoopbackHost(server.BaseUri, account.Path, folder, null, server);
        }

        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Under `dotnet Notify.Bench.dll` the process is the dotnet host: pass it the assembly.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(LoopbackHost).Assembly.Location);
        info.ArgumentList.Add(ChildCommand);
        info.ArgumentList.Add(folder.FullName);
        var child = Process.Start(info) ?? throw new InvalidOperationException("the loopback process did not start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillQuietly(child);
        var stderr = child.StandardError.ReadToEndAsync(ct);
        try
        {
            var line = await child.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);
            var parts = line?.Split(' ', 3);
            if (parts is not ["ready", var uri, var path])
                throw new InvalidOperationException($"the loopback process said '{line}' instead of ready: {await stderr.WaitAsync(TimeSpan.FromSeconds(5), ct)}");
            return new LoopbackHost(new Uri(uri), path, folder, child, null);
        }
        catch
        {
            KillQuietly(child);
            child.Dispose();
            throw;
        }
    }

    /// <summary>The hidden <c>push-loopback FOLDER</c> command: serve until standard input closes, then print a summary.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args.Length != 1) return 2;
        var server = await FcmLoopbackServer.StartAsync(TimeProvider.System);
        var account = server.CreateServiceAccount(args[0], ProjectId);
        Console.WriteLine($"ready {server.BaseUri} {account.Path}");
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync() is { } line && line != "stop") { }
        Console.WriteLine(Describe(server));
        await server.DisposeAsync();
        return 0;
    }

    private static string Describe(FcmLoopbackServer server) =>
        $"{server.Requests.Count:N0} send requests answered (most in flight at once: {server.MaxInFlight}), {server.TokenRequests.Count} token requests";

    /// <summary>Resident memory of the child (VmRSS and its peak VmHWM, from /proc), or null.</summary>
    public (long Rss, long Peak)? ChildMemory()
    {
        if (_child is null || _child.HasExited) return null;
        try
        {
            long rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{_child.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line);
            }
            return (rss, peak);
        }
        catch (IOException)
        {
            return null;
        }

        static long Kb(string line) =>
            long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            Summary = Describe(_server);
            await _server.DisposeAsync();
        }
        if (_child is not null)
        {
            try
            {
                await _child.StandardInput.WriteLineAsync("stop");
                _child.StandardInput.Close();
                var summary = _child.StandardOutput.ReadLineAsync();
                Summary = await summary.WaitAsync(TimeSpan.FromSeconds(10));
                await _child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
            {
                KillQuietly(_child);
            }
            _child.Dispose();
        }
        try { _folder.Delete(recursive: true); }
        catch (IOException) { }
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }
}
