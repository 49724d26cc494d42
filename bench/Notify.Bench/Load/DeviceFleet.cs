using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Notify.Bench.Load;

/// <summary>
/// The users of a run, each with one desktop device whose WebSocket is open and reports itself active and in
/// the foreground, so every notify is delivered in-app. Every device drains its socket all the time (a device
/// that stops reading would stall the server's sends) and reports each notification it receives.
/// </summary>
public sealed class DeviceFleet : IAsyncDisposable
{
    /// <summary>Below the server's 75 s heartbeat timeout.</summary>
    private static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(20);
    private static readonly byte[] StateActive = """{"type":"state","presence":"active","foreground":true}"""u8.ToArray();
    private static readonly byte[] Ping = """{"type":"ping"}"""u8.ToArray();

    private readonly List<DeviceConnection> _devices = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _notifications;
    private long _serverErrors;

    public IReadOnlyList<string> UserIds { get; private set; } = [];
    public long Notifications => Interlocked.Read(ref _notifications);
    public long ServerErrors => Interlocked.Read(ref _serverErrors);
    public int Open => _devices.Count(d => d.Socket.State == WebSocketState.Open);

    /// <summary>How the sockets that are not open ended: state, close status and description, with counts.</summary>
    public IEnumerable<string> Ended() => _devices.Where(d => d.Socket.State != WebSocketState.Open)
        .GroupBy(d => $"{d.Socket.State} {d.Socket.CloseStatus} {d.Socket.CloseStatusDescription}").Select(g => $"{g.Count()} × {g.Key}");
    public string? LastServerError { get; private set; }

    /// <summary>Called with (notification id, receive timestamp) for every notification message.</summary>
    public Action<string, long>? OnNotification { get; set; }

    /// <summary>When set, devices acknowledge every notification as seen.</summary>
    public bool Ack { get; init; }

    public static async Task<DeviceFleet> SetupAsync(HttpClient app, Uri server, string runId, int users, bool ack, CancellationToken ct)
    {
        var fleet = new DeviceFleet { Ack = ack };
        var ids = Enumerable.Range(0, users).Select(i => $"bench-{runId}-u{i:D5}").ToArray();
        fleet.UserIds = ids;
        var connections = new DeviceConnection?[users];
        await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (i, token) => connections[i] = await ConnectAsync(app, server, ids[i], token));
        fleet._devices.AddRange(connections!);
        foreach (var d in fleet._devices) fleet._loops.Add(Task.Run(() => fleet.ReceiveLoopAsync(d)));
        fleet._loops.Add(Task.Run(fleet.PingLoopAsync));
        await fleet.WaitActiveAsync(app, ct);
        return fleet;
    }

    private static async Task<DeviceConnection> ConnectAsync(HttpClient app, Uri server, string userId, CancellationToken ct)
    {
        using (var put = await app.PutAsync($"/v1/users/{userId}", Json("""{"timeZone":"UTC"}"""), ct))
            await Expect(put, [HttpStatusCode.Created, HttpStatusCode.OK], "PUT /v1/users", ct);
        using var register = await app.PostAsync($"/v1/users/{userId}/devices", Json("""{"platform":"desktop","name":"laptop"}"""), ct);
        await Expect(register, [HttpStatusCode.Created], "POST /v1/users/{id}/devices", ct);
        using var doc = JsonDocument.Parse(await register.Content.ReadAsStreamAsync(ct));
        var deviceId = doc.RootElement.GetProperty("deviceId").GetString()!;
        var token = doc.RootElement.GetProperty("deviceToken").GetString()!;

        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.KeepAliveInterval = Timeout.InfiniteTimeSpan;
        var ws = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = "/v1/realtime" }.Uri;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(ws, timeout.Token);
        var device = new DeviceConnection(userId, deviceId, socket);
        var hello = await device.ReceiveAsync(timeout.Token);
        if (Parse(hello.Span).Type != "hello") throw new InvalidOperationException($"expected hello, got {Encoding.UTF8.GetString(hello.Span)}");
        await device.SendAsync(StateActive, timeout.Token);
        return device;
    }

    /// <summary>The state message is fire-and-forget; wait until the server shows every device online and active.</summary>
    private Task WaitActiveAsync(HttpClient app, CancellationToken ct) => WaitActiveAsync(app, UserIds, TimeSpan.FromSeconds(15), ct);

    /// <summary>Waits until <c>GET /v1/users/{id}</c> shows a device online and active for every user (at most <paramref name="limit"/>).</summary>
    public static async Task WaitActiveAsync(HttpClient app, IEnumerable<string> userIds, TimeSpan limit, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var pending = userIds.ToList();
        for (var round = 0; round < 50 && pending.Count > 0 && Stopwatch.GetTimestamp() < deadline; round++)
        {
            var still = new System.Collections.Concurrent.ConcurrentBag<string>();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (user, token) =>
            {
                using var doc = JsonDocument.Parse(await app.GetStringAsync($"/v1/users/{user}", token));
                var active = doc.RootElement.GetProperty("devices").EnumerateArray().Any(d =>
                    d.GetProperty("state") is var s && s.TryGetProperty("online", out var on) && on.GetBoolean()
                    && s.TryGetProperty("presence", out var p) && p.GetString() == "active");
                if (!active) still.Add(user);
            });
            pending = [.. still];
            if (pending.Count > 0) await Task.Delay(200, ct);
        }
        if (pending.Count > 0)
            throw new InvalidOperationException($"{pending.Count} device(s) never showed online and active in GET /v1/users/{{id}}, e.g. {pending[0]}");
    }

    private async Task ReceiveLoopAsync(DeviceConnection device)
    {
        try
        {
            while (!_stop.IsCancellationRequested && device.Socket.State == WebSocketState.Open)
            {
                var message = await device.ReceiveAsync(_stop.Token);
                var at = Stopwatch.GetTimestamp();
                if (message.Length == 0) continue;
                var (type, id) = Parse(message.Span);
                if (type == "notification" && id is not null)
                {
                    Interlocked.Increment(ref _notifications);
                    OnNotification?.Invoke(id, at);
                    if (Ack)
                        await device.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"ack","notificationId":"{{id}}","action":"seen"}"""), _stop.Token);
                }
                else if (type == "error")
                {
                    Interlocked.Increment(ref _serverErrors);
                    LastServerError = Encoding.UTF8.GetString(message.Span);
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException e)
        {
            Interlocked.Increment(ref _serverErrors);
            LastServerError = $"{device.UserId}: {e.Message}";
        }
    }

    /// <summary>
    /// Every device pings once per <see cref="PingEvery"/>, the devices spread evenly over it, as real devices are
    /// (each pings from its own connect time). All at once would be a burst no fleet makes, and Pushpin 1.36 drops the
    /// client connections of a burst beyond about 100 simultaneous origin requests (docs/operations.md, "Bursts").
    /// </summary>
    private async Task PingLoopAsync()
    {
        var gap = PingEvery / Math.Max(1, _devices.Count);
        var next = Stopwatch.GetTimestamp();
        // Bounded by the fleet's life (stopped at dispose) and by a count no run reaches (a day of pings).
        for (var round = 0; round < 24 * 3600 / PingEvery.TotalSeconds && !_stop.IsCancellationRequested; round++)
        {
            foreach (var d in _devices)
            {
                next += (long)(gap.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                try
                {
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, _stop.Token);
                    await d.SendAsync(Ping, _stop.Token);
                }
                catch (OperationCanceledException) { return; }
                catch (Exception e) when (e is WebSocketException or ObjectDisposedException) { }
            }
        }
    }

    /// <summary>The message type and, for a notification, its id; a streaming read that allocates only the id.</summary>
    public static (string? Type, string? Id) Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        string? type = null, id = null;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName) continue;
            if (reader.CurrentDepth == 1 && reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.ValueTextEquals("notification"u8) ? "notification" : reader.GetString();
            }
            else if (reader.CurrentDepth == 2 && reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.GetString();
            }
            if (type is not null && (id is not null || type != "notification")) break;
        }
        return (type, id);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static async Task Expect(HttpResponseMessage response, HttpStatusCode[] ok, string what, CancellationToken ct)
    {
        if (!ok.Contains(response.StatusCode))
            throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var d in _devices)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await d.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench done", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        }
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var d in _devices) d.Socket.Dispose();
        _stop.Dispose();
    }

    /// <summary>One device's socket: one receive at a time (its loop), sends serialized (acks and pings).</summary>
    private sealed class DeviceConnection(string userId, string deviceId, ClientWebSocket socket)
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        private byte[] _buffer = new byte[4096];

        public string UserId { get; } = userId;
        public string DeviceId { get; } = deviceId;
        public ClientWebSocket Socket { get; } = socket;

        /// <summary>One whole text message (empty on close); the memory is valid until the next call.</summary>
        public async Task<ReadOnlyMemory<byte>> ReceiveAsync(CancellationToken ct)
        {
            var count = 0;
            while (true)
            {
                if (count == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
                var result = await Socket.ReceiveAsync(_buffer.AsMemory(count), ct);
                if (result.MessageType == WebSocketMessageType.Close) return ReadOnlyMemory<byte>.Empty;
                count += result.Count;
                if (result.EndOfMessage) return _buffer.AsMemory(0, count);
                if (count > 1 << 20) throw new WebSocketException("a server message over 1 MiB");
            }
        }

        public async Task SendAsync(byte[] json, CancellationToken ct)
        {
            await _send.WaitAsync(ct);
            try { await Socket.SendAsync(json, WebSocketMessageType.Text, true, ct); }
            finally { _send.Release(); }
        }
    }
}
