using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Notify.Bench.Load;

/// <summary>
/// <c>--start-server</c>: runs the built server (<c>dotnet src/Notify.Server/bin/Release/net10.0/Notify.Server.dll</c>)
/// in Development with a database in a fresh temp folder and Warning logs, waits for <c>/health/ready</c>,
/// keeps its log lines, and stops it (the process this started, by its handle) at the end.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly DirectoryInfo _temp;

    private ServerProcess(Process process, DirectoryInfo temp, Uri url)
    {
        Process = process;
        _temp = temp;
        Url = url;
    }

    public Process Process { get; }
    public Uri Url { get; }
    public string DatabasePath => Path.Combine(_temp.FullName, "notify.db");

    /// <summary>The server's last log lines (stdout and stderr), oldest first.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public static string DllPath(string repo) => Path.Combine(repo, "src", "Notify.Server", "bin", "Release", "net10.0", "Notify.Server.dll");

    public static async Task<ServerProcess> StartAsync(string repo, Uri? url, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var dll = DllPath(repo);
        if (!File.Exists(dll))
            throw new FileNotFoundException($"{dll} is missing; build it first: dotnet build -c Release src/Notify.Server");
        url ??= new Uri($"http://127.0.0.1:{FreePort()}");
        var temp = Directory.CreateTempSubdirectory("notify-bench-");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repo,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { dll, "--urls", url.GetLeftPart(UriPartial.Authority) },
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["Storage__Sqlite__Path"] = Path.Combine(temp.FullName, "notify.db"),
                ["Rules__Directory"] = Path.Combine(repo, "rules"),
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var server = new ServerProcess(process, temp, url);
        // SIGTERM (or any exit that skips the finally blocks) must not leave the server running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.KillNow();
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync(TimeSpan.FromSeconds(30), ct);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        while (_lines.Count > KeptLines) _lines.TryDequeue(out _);
    }

    private async Task WaitReadyAsync(TimeSpan limit, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        for (var attempt = 0; attempt < 300 && Stopwatch.GetTimestamp() < deadline; attempt++)
        {
            if (Process.HasExited)
                throw new InvalidOperationException($"the server exited with code {Process.ExitCode}:\n{string.Join('\n', Lines)}");
            try
            {
                using var response = await client.GetAsync("/health/ready", ct);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"the server was not ready within {limit.TotalSeconds}s:\n{string.Join('\n', Lines)}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void KillNow()
    {
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { if (_temp.Exists) _temp.Delete(recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception) { }
        Process.Dispose();
        try { _temp.Delete(recursive: true); }
        catch (IOException) { }
    }
}
