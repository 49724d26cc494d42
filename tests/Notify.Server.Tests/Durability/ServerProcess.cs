using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Notify.Server.Tests.Durability;

/// <summary>
/// What survives a server process: a temporary folder with the SQLite file and the rules, and the keys. Several
/// <see cref="ServerProcess"/>es in a row run on the same one, as a restart would. Deleted on dispose.
/// </summary>
internal sealed class ServerHome : IDisposable
{
    public ServerHome()
    {
        Directory = Path.Combine(Path.GetTempPath(), "notify-durability-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(RulesDirectory);
    }

    public string Directory { get; }

    public string RulesDirectory => Path.Combine(Directory, "rules");

    public string DatabasePath => Path.Combine(Directory, "notify.db");

    /// <summary>40 characters: Production refuses keys shorter than 32.</summary>
    public string AdminKey { get; } = NewKey();

    public string AppKey { get; } = NewKey();

    public void WriteRule(string name, string yaml) => File.WriteAllText(Path.Combine(RulesDirectory, name + ".yaml"), yaml);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string NewKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
}

/// <summary>
/// The real server as a child process (<c>dotnet Notify.Server.dll</c>) on a free loopback port, in Production,
/// with its output kept for assertion messages. <see cref="KillAsync"/> is SIGKILL on Linux: no shutdown code runs.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int MaxOutputLines = 400;

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly Lock _outputLock = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public Uri RealtimeUri => new($"ws://127.0.0.1:{Port}/v1/realtime");

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote to stdout and stderr.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock) return _output.Count == 0 ? "(no output)" : string.Join('\n', _output);
        }
    }

    /// <summary>Starts the server on <paramref name="home"/> and returns once <c>/health/ready</c> answers 200.</summary>
    /// <param name="environment">Settings added to (or, when null, removed from) the process's environment, e.g. <c>Logging__LogLevel__Default</c>.</param>
    public static async Task<ServerProcess> StartAsync(ServerHome home, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var server = Create(home, FreePort(), environment);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs the server on <paramref name="home"/> until it exits by itself (a refused start) and returns its exit code;
    /// fails if it is still running after <paramref name="deadline"/> (default a minute).
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(ServerHome home, IReadOnlyDictionary<string, string?>? environment = null,
        int? port = null, TimeSpan? deadline = null)
    {
        await using var server = Create(home, port ?? FreePort(), environment);
        using var timeout = new CancellationTokenSource(deadline ?? TimeSpan.FromMinutes(1));
        try
        {
            await server._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"The server was still running after {deadline ?? TimeSpan.FromMinutes(1)}; it was expected to refuse to start.\n{server.Output}");
        }
        return (server._process.ExitCode, server.Output);
    }

    private static ServerProcess Create(ServerHome home, int port, IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = home.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { ServerAssembly(), "--urls", $"http://127.0.0.1:{port}", "--contentRoot", home.Directory })
            info.ArgumentList.Add(arg);
        // The test host's own configuration must not leak into the server (its URLs, environment, content root, keys).
        foreach (var key in info.Environment.Keys.ToList())
            if (key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || key is "DOTNET_ENVIRONMENT" or "DOTNET_CONTENTROOT" or "DOTNET_URLS"
                || (key.Contains("__", StringComparison.Ordinal) && !key.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase)))
                info.Environment.Remove(key);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Auth__AdminKeys__0"] = home.AdminKey;
        info.Environment["Auth__Apps__0__Id"] = "default";
        info.Environment["Auth__Apps__0__Keys__0"] = home.AppKey;
        info.Environment["Storage__Provider"] = "sqlite";
        info.Environment["Storage__Sqlite__Path"] = home.DatabasePath;
        info.Environment["Rules__Directory"] = home.RulesDirectory;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process, port);
        process.OutputDataReceived += (_, e) => server.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => server.Append("err", e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>An HTTP client for this process with a bearer token.</summary>
    public HttpClient Client(string bearer, int maxConnections = 64)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = maxConnections, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>SIGKILL (on Linux; TerminateProcess on Windows), then waits for the process to be gone.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(deadline.Token);
    }

    /// <summary>SIGTERM, what an orchestrator sends to stop a container: the host's graceful shutdown runs.</summary>
    public void Terminate()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) throw new PlatformNotSupportedException("SIGTERM needs a Unix");
        if (SysKill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Completes when the process has exited.</summary>
    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>The exit code once the process has exited (128 + 9 = 137 after SIGKILL on Linux).</summary>
    public int ExitCode => _process.ExitCode;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Never started, already gone, or could not be waited for: nothing more to do.
        }
        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        string last = "no answer yet";
        // Bounded: 1,200 polls, 50 ms apart, plus each poll's own time: about a minute on a slow machine.
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} before it was ready.\n{Output}");
            try
            {
                using var response = await probe.GetAsync("health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e) { last = e.Message; }
            catch (TaskCanceledException) { last = "timed out"; }
            await Task.Delay(50);
        }
        throw new InvalidOperationException($"The server on port {Port} was not ready after about a minute (last: {last}).\n{Output}");
    }

    private readonly List<(string Text, TaskCompletionSource Seen)> _outputWaiters = [];

    /// <summary>Completes when a line containing <paramref name="text"/> is written (or was, among the lines kept).</summary>
    public Task WaitForOutputAsync(string text, CancellationToken ct)
    {
        lock (_outputLock)
        {
            if (_output.Any(l => l.Contains(text, StringComparison.Ordinal))) return Task.CompletedTask;
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _outputWaiters.Add((text, seen));
            return seen.Task.WaitAsync(ct);
        }
    }

    private void Append(string stream, string? line)
    {
        if (line is null) return;
        lock (_outputLock)
        {
            _output.Enqueue($"[{stream}] {line}");
            while (_output.Count > MaxOutputLines) _output.Dequeue();
            foreach (var waiter in _outputWaiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                _outputWaiters.Remove(waiter);
                waiter.Seen.TrySetResult();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The <c>dotnet</c> host that runs the tests, so the server runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        if (Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return path;
        return "dotnet";
    }

    /// <summary>
    /// <c>Notify.Server.dll</c> beside the test assembly (the project reference copies it there with its
    /// runtimeconfig), else the server project's own build output for the same configuration.
    /// </summary>
    internal static string ServerAssembly()
    {
        static bool Runnable(string folder) =>
            File.Exists(Path.Combine(folder, "Notify.Server.dll")) && File.Exists(Path.Combine(folder, "Notify.Server.runtimeconfig.json"));

        var here = AppContext.BaseDirectory;
        if (Runnable(here)) return Path.Combine(here, "Notify.Server.dll");

        var tfm = new DirectoryInfo(here);
        var configuration = tfm.Parent?.Name ?? "Debug";
        for (var dir = tfm; dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Notify.sln"))) continue;
            foreach (var candidate in new[] { configuration, "Debug", "Release" }.Distinct())
            {
                var folder = Path.Combine(dir.FullName, "src", "Notify.Server", "bin", candidate, tfm.Name);
                if (Runnable(folder)) return Path.Combine(folder, "Notify.Server.dll");
            }
            break;
        }
        throw new InvalidOperationException($"Notify.Server.dll with its runtimeconfig.json is neither in {here} nor in src/Notify.Server/bin; build the solution first.");
    }
}

/// <summary>The few calls the durability tests make, over plain HTTP so they depend on the wire contract only.</summary>
internal static class Api
{
    public static async Task PutUserAsync(HttpClient app, string userId)
    {
        using var response = await app.PutAsJsonAsync($"v1/users/{userId}", new { timeZone = "UTC" });
        await EnsureAsync(response, "PUT /v1/users", HttpStatusCode.Created, HttpStatusCode.OK);
    }

    public static async Task<(string DeviceId, string DeviceToken)> AddDeviceAsync(HttpClient app, string userId, string? name)
    {
        using var response = await app.PostAsJsonAsync($"v1/users/{userId}/devices", new { platform = "desktop", name });
        await EnsureAsync(response, "POST /v1/users/{id}/devices", HttpStatusCode.Created);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("deviceId").GetString()!, body.RootElement.GetProperty("deviceToken").GetString()!);
    }

    public static StringContent Notify(string userId, string category, string title) =>
        new(JsonSerializer.Serialize(new { userId, category, title }), Encoding.UTF8, "application/json");

    public static async Task EnsureAsync(HttpResponseMessage response, string what, params HttpStatusCode[] expected)
    {
        if (expected.Contains(response.StatusCode)) return;
        var body = await response.Content.ReadAsStringAsync();
        throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}, expected {string.Join(" or ", expected.Select(s => (int)s))}: {body}");
    }
}
