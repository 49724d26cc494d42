using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Notify.Bench.Load;

namespace Notify.Bench.Edge;

/// <summary>
/// Devices by the ten thousand (<c>idle</c>, <c>burst</c>): each a <see cref="ClientWebSocket"/> over one shared
/// <see cref="SocketsHttpHandler"/> whose connect callback binds the client end to a loopback alias (127.0.0.2,
/// 127.0.0.3, …, <see cref="PerSourceAddress"/> sockets each), so 100,000 sockets to one server port do not run out of
/// ephemeral ports (about 28,000 per source address). Only 127.0.0.0/8 is ever used: all of it is loopback on Linux.
/// Each device has one receive loop that waits with a zero-byte read (no buffer while idle); one loop pings every
/// device every <see cref="PingEvery"/>, spread evenly, as devices do on their own clocks.
/// </summary>
public sealed class SocketFleet : IAsyncDisposable
{
    public const int PerSourceAddress = 20_000;
    public static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(25);
    private static readonly byte[] Ping = """{"type":"ping"}"""u8.ToArray();
    private static readonly byte[] StateActive = """{"type":"state","presence":"active","foreground":true}"""u8.ToArray();

    private readonly HttpMessageInvoker _invoker;
    private readonly Device[] _devices;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _errors;
    private int _connectFailures;

    private SocketFleet(HttpMessageInvoker invoker, int count)
    {
        _invoker = invoker;
        _devices = new Device[count];
    }

    public int Count => _devices.Length;
    public int Open => _devices.Count(d => d?.Socket.State == WebSocketState.Open);
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Devices whose WebSocket did not open (their slots stay empty).</summary>
    public int ConnectFailures => Volatile.Read(ref _connectFailures);

    /// <summary>The devices connected, by index.</summary>
    public IEnumerable<int> Connected => Enumerable.Range(0, _devices.Length).Where(i => _devices[i] is not null);
    public string? LastError { get; private set; }

    /// <summary>Called with (device index, notification id, receive timestamp) for every notification message.</summary>
    public Action<int, string, long>? OnNotification { get; set; }

    /// <summary>How the sockets that are not open ended, with counts.</summary>
    public IEnumerable<string> Ended() => _devices.Where(d => d is not null && d.Socket.State != WebSocketState.Open)
        .GroupBy(d => $"{d.Socket.State} {d.Socket.CloseStatus} {d.Socket.CloseStatusDescription}").Select(g => $"{g.Count()} × {g.Key}");

    /// <summary>Creates <paramref name="count"/> users, each with one desktop device; returns the device tokens.</summary>
    public static async Task<string[]> RegisterAsync(HttpClient app, string runId, int count, CancellationToken ct)
    {
        var tokens = new string[count];
        var done = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, token) =>
        {
            var user = UserId(runId, i);
            using (var put = await app.PutAsync($"/v1/users/{user}", JsonContent.Create(new { timeZone = "UTC" }), token))
                if (put.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
                    throw new InvalidOperationException($"PUT /v1/users answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync(token)}");
            using var register = await app.PostAsync($"/v1/users/{user}/devices", JsonContent.Create(new { platform = "desktop", name = "laptop" }), token);
            if (register.StatusCode != HttpStatusCode.Created)
                throw new InvalidOperationException($"POST /v1/users/{{id}}/devices answered {(int)register.StatusCode}: {await register.Content.ReadAsStringAsync(token)}");
            using var doc = JsonDocument.Parse(await register.Content.ReadAsStreamAsync(token));
            tokens[i] = doc.RootElement.GetProperty("deviceToken").GetString()!;
            if (Interlocked.Increment(ref done) % 10_000 == 0)
                Console.Error.WriteLine($"  registered {done:N0} devices ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)");
        });
        return tokens;
    }

    public static string UserId(string runId, int i) => $"bench-{runId}-u{i:D6}";

    /// <summary>Opens one WebSocket per token (each gets its hello first), then starts the receive loops and the pings.</summary>
    /// <param name="reportActive">Each device reports itself active and in the foreground, so a notify goes to it in-app.</param>
    public static async Task<SocketFleet> ConnectAsync(Uri server, string[] tokens, bool reportActive, CancellationToken ct)
    {
        var host = await Dns.GetHostAddressesAsync(server.Host, ct);
        if (!host.All(IPAddress.IsLoopback))
            throw new ArgumentException($"{server} is not a loopback address: the fleet binds loopback aliases as source addresses and runs only on loopback");
        var next = -1;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = async (context, token) =>
            {
                var n = Interlocked.Increment(ref next);
                var source = new IPAddress(new byte[] { 127, 0, 0, (byte)(2 + n / PerSourceAddress) });
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (tokens.Length / PerSourceAddress + 2 > 254) throw new ArgumentException("too many devices for 127.0.0.2-127.0.0.254");
        var fleet = new SocketFleet(new HttpMessageInvoker(handler), tokens.Length);
        var ws = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = "/v1/realtime" }.Uri;
        // Pinging starts with the first device: connecting 100,000 can take longer than the server's heartbeat timeout.
        fleet._loops.Add(Task.Run(fleet.PingLoopAsync));
        var done = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, tokens.Length), new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = ct }, async (i, token) =>
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + tokens[i]);
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            socket.Options.HttpVersion = HttpVersion.Version11;
            socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await socket.ConnectAsync(ws, fleet._invoker, timeout.Token);
                var device = new Device(socket);
                var (type, _) = DeviceFleet.Parse((await device.ReceiveAsync(timeout.Token)).Span);
                if (type != "hello") throw new WebSocketException($"expected hello, got {type}");
                if (reportActive) await device.SendAsync(StateActive, timeout.Token);
                fleet._devices[i] = device;
                var loop = fleet.ReceiveLoopAsync(i);
                lock (fleet._loops) fleet._loops.Add(loop);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException && !token.IsCancellationRequested)
            {
                // Counted and reported (a server out of file descriptors resets new connections); the run goes on.
                socket.Dispose();
                Interlocked.Increment(ref fleet._connectFailures);
                fleet.LastError = $"device {i} did not connect: {e.Message} {e.InnerException?.InnerException?.Message}";
            }
            if (Interlocked.Increment(ref done) % 10_000 == 0)
                Console.Error.WriteLine($"  connected {done:N0} devices ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)");
        });
        return fleet;
    }

    private async Task ReceiveLoopAsync(int index)
    {
        var device = _devices[index];
        try
        {
            while (!_stop.IsCancellationRequested && device.Socket.State == WebSocketState.Open)
            {
                var message = await device.ReceiveAsync(_stop.Token);
                var at = Stopwatch.GetTimestamp();
                if (message.Length == 0) continue;
                var (type, id) = DeviceFleet.Parse(message.Span);
                if (type == "notification" && id is not null) OnNotification?.Invoke(index, id, at);
                else if (type == "error")
                {
                    Interlocked.Increment(ref _errors);
                    LastError = Encoding.UTF8.GetString(message.Span);
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException e)
        {
            Interlocked.Increment(ref _errors);
            LastError = $"device {index}: {e.Message}";
        }
    }

    private async Task PingLoopAsync()
    {
        // Every slot has its turn, connected or not yet, so one round takes PingEvery whatever the count.
        var gap = PingEvery / Math.Max(1, _devices.Length);
        var next = Stopwatch.GetTimestamp();
        // Bounded by the fleet's life (stopped at dispose) and by a count no run reaches (a day of pings).
        for (var round = 0; round < 24 * 3600 / PingEvery.TotalSeconds && !_stop.IsCancellationRequested; round++)
        {
            for (var i = 0; i < _devices.Length; i++)
            {
                next += (long)(gap.TotalSeconds * Stopwatch.Frequency);
                var d = Volatile.Read(ref _devices[i]);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                try
                {
                    if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, _stop.Token);
                    if (d?.Socket.State == WebSocketState.Open) await d.SendAsync(Ping, _stop.Token);
                }
                catch (OperationCanceledException) { return; }
                catch (Exception e) when (e is WebSocketException or ObjectDisposedException) { }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task[] loops;
        lock (_loops) loops = [.. _loops];
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var d in _devices) d?.Socket.Abort();
        foreach (var d in _devices) d?.Socket.Dispose();
        _invoker.Dispose();
        _stop.Dispose();
    }

    /// <summary>
    /// Raises this process's open-file limit (inherited by the server it starts) to <paramref name="wanted"/>: each
    /// socket is a file descriptor. Raising the hard limit needs root (or CAP_SYS_RESOURCE); otherwise run
    /// <c>ulimit -n</c> first (docs/operations.md, "Many connections on one node").
    /// </summary>
    public static string RaiseFileLimit(ulong wanted)
    {
        if (!OperatingSystem.IsLinux()) return "file limit: unchanged (not Linux)";
        if (GetRLimit(NoFile, out var current) != 0) return "file limit: unknown";
        if (current.Cur >= wanted) return $"file limit: {current.Cur}";
        var raised = new RLimit { Cur = wanted, Max = Math.Max(wanted, current.Max) };
        if (SetRLimit(NoFile, ref raised) == 0) return $"file limit: raised from {current.Cur} to {wanted}";
        raised = new RLimit { Cur = current.Max, Max = current.Max };
        SetRLimit(NoFile, ref raised);
        return $"file limit: {current.Max}: could not raise it to {wanted} (needs CAP_SYS_RESOURCE; run `ulimit -n {wanted}` as root first); " +
            $"the server can hold about {current.Max - 1_000} connections";
    }

    private const int NoFile = 7; // RLIMIT_NOFILE on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, ref RLimit limit);

    /// <summary>One device: a receive at a time (its loop), sends serialized (state, pings).</summary>
    private sealed class Device(ClientWebSocket socket)
    {
        private readonly SemaphoreSlim _send = new(1, 1);

        public ClientWebSocket Socket { get; } = socket;

        /// <summary>One whole text message (empty on close), copied out of a pooled buffer rented only while reading.</summary>
        public async Task<ReadOnlyMemory<byte>> ReceiveAsync(CancellationToken ct)
        {
            var first = await Socket.ReceiveAsync(Memory<byte>.Empty, ct);
            if (first.MessageType == WebSocketMessageType.Close || first.EndOfMessage) return ReadOnlyMemory<byte>.Empty;
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                var count = 0;
                while (true)
                {
                    var result = await Socket.ReceiveAsync(buffer.AsMemory(count), ct);
                    if (result.MessageType == WebSocketMessageType.Close) return ReadOnlyMemory<byte>.Empty;
                    count += result.Count;
                    if (result.EndOfMessage) return buffer.AsSpan(0, count).ToArray();
                    if (count == buffer.Length) throw new WebSocketException("a server message over 64 KiB");
                }
            }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
        }

        public async Task SendAsync(byte[] json, CancellationToken ct)
        {
            await _send.WaitAsync(ct);
            try { await Socket.SendAsync(json, WebSocketMessageType.Text, true, ct); }
            finally { _send.Release(); }
        }
    }
}
