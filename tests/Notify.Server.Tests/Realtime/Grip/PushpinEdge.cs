using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Notify.Server.Tests.Realtime.Grip;

/// <summary>
/// The real Pushpin (Debian package) on loopback with its own temp folder, ports and run directory, and its own
/// zurl (Pushpin reaches origins through zurl, which nothing starts and which refuses loopback by default). Nothing
/// touches the system services or the default ports, so several of these can run on one machine.
/// </summary>
internal sealed class PushpinEdge : IAsyncDisposable
{
    private const string PushpinBin = "/usr/bin/pushpin";
    private const string ZurlBin = "/usr/bin/zurl";

    private readonly List<Process> _processes = [];

    private const string ProbePath = "/.pushpin-probe";
    private const string ProbeBody = "held";

    private readonly int[] _ports;

    private readonly TcpListener _probe = new(IPAddress.Loopback, 0);

    private PushpinEdge(string directory, int[] ports)
    {
        Directory = directory;
        _ports = ports;
        HttpPort = ports[0];
        PublishPort = ports[1];
    }

    public string Directory { get; }

    public int HttpPort { get; }

    public int PublishPort { get; }

    /// <summary>Where clients connect.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>Pushpin's publish endpoint (Realtime:Grip:ControlUri).</summary>
    public Uri ControlUri => new($"http://127.0.0.1:{PublishPort}/");

    /// <summary>Why the Pushpin tests cannot run here, or null when they can.</summary>
    public static string? Missing() =>
        File.Exists(PushpinBin) && File.Exists(ZurlBin) && File.Exists("/usr/lib/pushpin/internal.conf") && File.Exists("/etc/pushpin/pushpin.conf")
            ? null
            : "Pushpin is not installed (needs /usr/bin/pushpin and /usr/bin/zurl: apt-get install -y pushpin)";

    /// <summary>A folder and ports for an edge, so the origins can be told <see cref="ControlUri"/> before it starts.</summary>
    public static PushpinEdge Create()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("notify-pushpin-").FullName;
        foreach (var sub in new[] { "run", "log", "zurl" }) System.IO.Directory.CreateDirectory(Path.Combine(dir, sub));
        return new PushpinEdge(dir, FreePorts(5));
    }

    /// <summary>Starts zurl and Pushpin in front of <paramref name="origins"/> (WebSocket-over-HTTP), signing with <paramref name="key"/>.</summary>
    public async Task StartAsync(string key, params Uri[] origins)
    {
        var dir = Directory;
        var ports = _ports;
        var edge = this;
        {
            var zurlIpc = $"ipc://{dir}/zurl/";
            var zurlConf = File.ReadAllText("/etc/zurl.conf")
                .Replace("ipc:///var/run/zurl/", zurlIpc, StringComparison.Ordinal)
                .Replace("deny=127.*,10.*,192.168.*,*.local", "deny=", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "zurl.conf"), zurlConf);

            var internalConf = File.ReadAllText("/usr/lib/pushpin/internal.conf").Replace("ipc:///var/run/zurl/", zurlIpc, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "internal.conf"), internalConf);

            var conf = string.Join('\n', File.ReadAllLines("/etc/pushpin/pushpin.conf").Select(line => line.Split('=', 2)[0] switch
            {
                "include" => $"include={dir}/internal.conf",
                "rundir" => $"rundir={dir}/run",
                "logdir" => $"logdir={dir}/log",
                "ipc_prefix" => $"ipc_prefix=notify-test-{ports[0]}-",
                "http_port" => $"http_port=127.0.0.1:{ports[0]}",
                "routesfile" => $"routesfile={dir}/routes",
                "sig_key" => $"sig_key={key}",
                "push_in_http_port" => $"push_in_http_port={ports[1]}",
                "push_in_spec" => $"push_in_spec=tcp://127.0.0.1:{ports[2]}",
                "push_in_sub_specs" => $"push_in_sub_specs=tcp://127.0.0.1:{ports[3]}",
                "command_spec" => $"command_spec=tcp://127.0.0.1:{ports[4]}",
                "updates_check" => "updates_check=off",
                _ => line,
            }));
            File.WriteAllText(Path.Combine(dir, "pushpin.conf"), conf);
            _probe.Start();
            _ = ServeProbeAsync(_probe);
            File.WriteAllText(Path.Combine(dir, "routes"), $"*,path_beg={ProbePath} 127.0.0.1:{((IPEndPoint)_probe.LocalEndpoint).Port}\n* " + string.Join(' ', origins.Select(o => $"{o.Host}:{o.Port},over_http")) + "\n");

            edge.Start(ZurlBin, $"--config={dir}/zurl.conf", $"--logfile={dir}/log/zurl.log");
            edge.Start(PushpinBin, "--config", $"{dir}/pushpin.conf", "--logfile", $"{dir}/log/pushpin.log", "--verbose");
            await edge.WaitUntilListeningAsync();
            await edge.WaitUntilHoldingAsync();
        }
    }

    /// <summary>The tail of Pushpin's and zurl's logs, for assertion messages.</summary>
    public string Logs()
    {
        var logs = System.IO.Directory.Exists(Path.Combine(Directory, "log")) ? System.IO.Directory.GetFiles(Path.Combine(Directory, "log")) : [];
        return string.Join('\n', logs.Select(f => $"== {Path.GetFileName(f)}\n" + string.Join('\n', ReadShared(f).TakeLast(40))));
    }

    private static IEnumerable<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    private void Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    private async Task WaitUntilListeningAsync()
    {
        // Bounded: about 30 s of 50 ms polls for both the client port and the publish port.
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (_processes.FirstOrDefault(p => p.HasExited) is { } exited)
                throw new InvalidOperationException($"{exited.StartInfo.FileName} exited with {exited.ExitCode}.\n{Logs()}");
            if (await ListeningAsync(HttpPort) && await ListeningAsync(PublishPort)) return;
            await Task.Delay(50);
        }
        throw new InvalidOperationException($"Pushpin did not listen on {HttpPort} and {PublishPort} within 30 s.\n{Logs()}");
    }

    /// <summary>
    /// Pushpin's client port opens before its proxy and handler have joined up over ZeroMQ; a held (GRIP) response in
    /// that gap is answered by Pushpin itself with <c>500 Accept service unavailable.</c> Ready means a held stream
    /// from the probe origin came through whole.
    /// </summary>
    private async Task WaitUntilHoldingAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var last = "no answer";
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (_processes.FirstOrDefault(p => p.HasExited) is { } exited)
                throw new InvalidOperationException($"{exited.StartInfo.FileName} exited with {exited.ExitCode}.\n{Logs()}");
            try
            {
                using var response = await http.GetAsync(ProbePath, HttpCompletionOption.ResponseHeadersRead);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                var first = await reader.ReadLineAsync();
                if (response.IsSuccessStatusCode && first == ProbeBody) return;
                last = $"{(int)response.StatusCode} {first}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { last = e.Message; }
            await Task.Delay(50);
        }
        throw new InvalidOperationException($"Pushpin did not hold a response within 30 s (last answer: {last}).\n{Logs()}");
    }

    /// <summary>An origin for <see cref="ProbePath"/> that answers every request with a GRIP stream hold.</summary>
    private async Task ServeProbeAsync(TcpListener listener)
    {
        var response = System.Text.Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nGrip-Hold: stream\r\nGrip-Channel: probe\r\nContent-Length: {ProbeBody.Length + 1}\r\nConnection: close\r\n\r\n{ProbeBody}\n");
        while (true)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is ObjectDisposedException or SocketException) { return; }
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    var read = 0;
                    while (read < buffer.Length && !System.Text.Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(buffer.AsMemory(read));
                        if (n == 0) break;
                        read += n;
                    }
                    await stream.WriteAsync(response);
                }
                catch (IOException) { }
            }
        }
    }

    private static async Task<bool> ListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }

    public async ValueTask DisposeAsync()
    {
        _probe.Stop();
        foreach (var process in Enumerable.Reverse(_processes))
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                    await process.WaitForExitAsync(deadline.Token);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception) { }
            process.Dispose();
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
