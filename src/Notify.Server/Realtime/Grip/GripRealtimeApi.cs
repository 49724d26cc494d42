using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Devices;
using Notify.Engine.Notifications;
using Notify.Engine.Storage;
using Notify.Server.Auth;
using Notify.Server.Problems;

namespace Notify.Server.Realtime.Grip;

/// <summary>
/// The realtime endpoints behind Pushpin. <c>POST /v1/realtime</c> with WebSocket-over-HTTP events: each request
/// carries what the device did (open, messages, close) and is answered with what to send it; the connection
/// lives in Pushpin, so any node can serve any request. <c>GET /v1/realtime/events</c> with a <c>Grip-Sig</c>:
/// answered with a held stream subscribed to the device's channel. Both subscribe to <c>device:{id}</c>, where
/// every node publishes (<see cref="GripRealtimeSender"/>).
/// </summary>
/// <remarks>
/// Heartbeats without a process holding the socket: every response sets <c>Set-Meta-Last-Seen</c> (Pushpin
/// returns it as <c>Meta-Last-Seen</c> on the connection's next request, signed by Grip-Sig) and
/// <c>Keep-Alive-Interval</c>, which makes Pushpin ping an idle client and pass its <c>PONG</c> on; a PONG that finds
/// the app silent for longer than <see cref="RealtimeOptions.HeartbeatTimeout"/> closes it, as the direct path does.
/// </remarks>
public static partial class GripRealtimeApi
{
    private const string LastSeenMeta = "Last-Seen";

    /// <summary>A WebSocket-over-HTTP request from Pushpin.</summary>
    internal static async Task WebSocketEventsAsync(HttpContext context, INotifyStore store, DeviceStateTracker tracker, ConnectionHub hub,
        NotificationHandlers handlers, TimeProvider time, IOptions<RealtimeOptions> realtime, ILoggerFactory loggers)
    {
        var edge = context.RequestServices.GetService<GripEdge>();
        if (edge is null)
        {
            await Problem.WriteAsync(context, 404, "grip-not-configured",
                "POST /v1/realtime is WebSocket-over-HTTP from Pushpin; set Realtime:Grip:ControlUri and Realtime:Grip:Key to enable it, or open a WebSocket with GET.");
            return;
        }
        if (!await edge.VerifyAsync(context, loggers)) return;
        if (!string.Equals(context.Request.ContentType?.Split(';')[0].Trim(), WebSocketEvents.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            await Problem.WriteAsync(context, 415, "websocket-events-required", $"POST /v1/realtime takes Content-Type: {WebSocketEvents.ContentType} (from Pushpin).");
            return;
        }
        var device = await store.GetDeviceAsync(context.Caller().DeviceId!, context.RequestAborted);
        if (device is null)
        {
            await Problem.WriteAsync(context, 404, "not-found", "This device was removed.");
            return;
        }

        List<WebSocketEvent> events;
        try
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            events = WebSocketEvents.Parse(body.ToArray());
        }
        catch (FormatException e)
        {
            await Problem.WriteAsync(context, 400, "invalid-websocket-events", e.Message);
            return;
        }

        var now = time.GetUtcNow();
        var options = realtime.Value;
        var connection = new GripResponseConnection(sse: false);
        var session = new DeviceSession(device, connection, tracker, handlers, hub, time, realtime.Value);
        // A PONG answers the WebSocket ping Pushpin sends every Keep-Alive-Interval: the socket is alive, but like a
        // protocol pong on the direct path it is not the app's heartbeat, so it checks the heartbeat instead of renewing it.
        var fromDevice = events.Any(e => e.Type is not ("CLOSE" or "DISCONNECT" or "PONG"));
        var closed = events.Any(e => e.Type is "CLOSE" or "DISCONNECT");
        var opened = false;
        if (fromDevice && !closed) tracker.SeenAtEdge(device, now);

        foreach (var e in events)
        {
            switch (e.Type)
            {
                case "OPEN":
                    opened = true;
                    connection.Write(o =>
                    {
                        WebSocketEvents.Write(o, "OPEN");
                        WebSocketEvents.WriteText(o, $$"""c:{"type":"subscribe","channel":"{{GripRealtimeSender.Channel(device.Device.Id)}}"}""");
                    });
                    await connection.SendAsync(ConnectionHub.Serialize(new HelloMessage(device.Device.Id, now)), null, context.RequestAborted);
                    break;
                case "TEXT" when e.Content.Length > options.MaxMessageBytes:
                    connection.Write(o => WebSocketEvents.WriteClose(o, 1009, $"messages are limited to {options.MaxMessageBytes} bytes"));
                    closed = true;
                    break;
                case "TEXT":
                    await session.HandleAsync(e.Content, context.RequestAborted);
                    break;
                case "BINARY":
                    await session.ReplyAsync(new ErrorMessage("text-only", "Send JSON text frames."), context.RequestAborted);
                    break;
                case "PING":
                    connection.Write(o => WebSocketEvents.Write(o, "PONG", e.Content.Span));
                    break;
                case "CLOSE":
                    connection.Write(o => WebSocketEvents.Write(o, "CLOSE", e.Content.Span));
                    break;
            }
        }

        var lastSeen = now;
        if (!fromDevice && !closed)
        {
            // Pushpin calling back for an idle connection (the client's PONG, or no events). Close it if the app went silent.
            if (long.TryParse(context.Request.Headers["Meta-" + LastSeenMeta], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                lastSeen = DateTimeOffset.FromUnixTimeSeconds(seconds);
            if (now - lastSeen > options.HeartbeatTimeout)
            {
                connection.Write(o => WebSocketEvents.WriteClose(o, 1008,
                    $"no heartbeat: send {{\"type\":\"ping\"}} at least every {options.HeartbeatTimeout.TotalSeconds:0}s"));
                closed = true;
            }
        }
        if (closed)
        {
            tracker.ClosedAtEdge(device, now);
            LogClosed(loggers.CreateLogger("Notify.Realtime.Grip"), device.Device.Id);
        }

        if (opened && !closed)
        {
            // The subscription starts when Pushpin reads this response: what is open for the device goes in it.
            hub.Add(device.Device.Id, connection);
            try { await handlers.Resends.ResendOpenAsync(device.Device.Id, null, context.RequestAborted); }
            finally { hub.Remove(device.Device.Id, connection); }
        }

        var response = context.Response;
        response.ContentType = WebSocketEvents.ContentType;
        response.Headers["Sec-WebSocket-Extensions"] = "grip";
        response.Headers["Keep-Alive-Interval"] = ((int)edge.Options.KeepAliveInterval.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        response.Headers["Set-Meta-" + LastSeenMeta] = lastSeen.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        await response.Body.WriteAsync(connection.Complete(), context.RequestAborted);
    }

    /// <summary><c>GET /v1/realtime/events</c> through Pushpin: a held stream on the device's channel.</summary>
    internal static async Task ServerSentEventsAsync(HttpContext context, GripEdge edge, StoredDevice device, DeviceStateTracker tracker,
        ConnectionHub hub, NotificationHandlers handlers, TimeProvider time, bool recheck = false)
    {
        var now = time.GetUtcNow();
        tracker.SeenAtEdge(device, now);
        var connection = new GripResponseConnection(sse: true);
        // On Pushpin's call-back for the next link of a stream that is still open there is nothing to send: presence only.
        if (!recheck)
        {
            await connection.SendAsync(ConnectionHub.Serialize(new HelloMessage(device.Device.Id, now)), null, context.RequestAborted);
            var lastEventId = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } h ? h : null;
            hub.Add(device.Device.Id, connection);
            try { await handlers.Resends.ResendOpenAsync(device.Device.Id, lastEventId, context.RequestAborted); }
            finally { hub.Remove(device.Device.Id, connection); }
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["Grip-Hold"] = "stream";
        response.Headers["Grip-Channel"] = GripRealtimeSender.Channel(device.Device.Id);
        response.Headers["Grip-Keep-Alive"] = string.Create(CultureInfo.InvariantCulture,
            $@": keep-alive\n\n; format=cstring; timeout={(int)edge.Options.SseKeepAliveInterval.TotalSeconds}");
        response.Headers["Grip-Link"] = string.Create(CultureInfo.InvariantCulture,
            $"<{context.Request.PathBase}{NextLinkPath}?link={edge.SignLink(device.Device.Id, now)}>; rel=next; timeout={(int)edge.Options.SseRecheckInterval.TotalSeconds}");
        await response.Body.WriteAsync(connection.Complete(), context.RequestAborted);
    }

    /// <summary>Where Pushpin calls back for a held stream. Pushpin sends no client headers there (no token), so the
    /// link itself carries the device, signed with the GRIP key, and Grip-Sig proves the call came through Pushpin.</summary>
    internal const string NextLinkPath = "/v1/realtime/events/next";

    /// <summary><c>GET /v1/realtime/events/next</c>: Pushpin's call-back while a held stream stays open.</summary>
    internal static async Task NextLinkAsync(HttpContext context, string? link, INotifyStore store, DeviceStateTracker tracker, ConnectionHub hub,
        NotificationHandlers handlers, TimeProvider time, ILoggerFactory loggers)
    {
        if (context.RequestServices.GetService<GripEdge>() is not { } edge)
        {
            await Problem.WriteAsync(context, 404, "grip-not-configured", "This is Pushpin's call-back for held streams; GRIP is not configured.");
            return;
        }
        if (!await edge.VerifyAsync(context, loggers)) return;
        if (edge.VerifyLink(link, time.GetUtcNow()) is not { } deviceId)
        {
            await Problem.WriteAsync(context, 403, "grip-link", "The link is not one this server signed, or it expired.");
            return;
        }
        if (await store.GetDeviceAsync(deviceId, context.RequestAborted) is not { } device)
        {
            await Problem.WriteAsync(context, 404, "not-found", "This device was removed.");
            return;
        }
        await ServerSentEventsAsync(context, edge, device, tracker, hub, handlers, time, recheck: true);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "GRIP connection of device {DeviceId} closed")]
    private static partial void LogClosed(ILogger logger, string deviceId);
}

/// <summary>GRIP is configured: its options and the signature every GRIP request must carry.</summary>
public sealed partial class GripEdge(GripOptions options, GripSignature signature)
{
    public GripOptions Options => options;

    private readonly byte[] _linkKey = System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Key!), "notify grip next link"u8);

    /// <summary>A next link for a device's held stream: <c>{deviceId}.{expiry}.{mac}</c>. Valid for 10 minutes plus a few
    /// re-checks, so Pushpin's retries after a node was briefly down still get through; clients never see the link
    /// (Pushpin consumes <c>Grip-Link</c>), and it is accepted only with a valid Grip-Sig.</summary>
    public string SignLink(string deviceId, DateTimeOffset now)
    {
        var expires = (now + 4 * options.SseRecheckInterval + TimeSpan.FromMinutes(10)).ToUnixTimeSeconds();
        var payload = string.Create(CultureInfo.InvariantCulture, $"{deviceId}.{expires}");
        return payload + "." + Mac(payload);
    }

    /// <summary>The device of a link this node (or another with the same key) signed and that has not expired; else null.</summary>
    public string? VerifyLink(string? link, DateTimeOffset now)
    {
        var parts = link?.Split('.');
        if (parts is not { Length: 3 } || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)) return null;
        var expected = Encoding.ASCII.GetBytes(Mac(parts[0] + "." + parts[1]));
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2]))) return null;
        return now.ToUnixTimeSeconds() <= expires ? parts[0] : null;
    }

    private string Mac(string payload) =>
        Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(_linkKey, Encoding.UTF8.GetBytes(payload)));

    /// <summary>True when the request carries a valid <c>Grip-Sig</c>; else answers 403 and returns false.</summary>
    public async Task<bool> VerifyAsync(HttpContext context, ILoggerFactory loggers)
    {
        if (await signature.ValidateAsync(context.Request.Headers[GripSignature.Header].ToString()) is not { } why) return true;
        LogRefused(loggers.CreateLogger("Notify.Realtime.Grip"), context.Request.Path, why);
        await Problem.WriteAsync(context, 403, "grip-signature",
            "GRIP requests are accepted from Pushpin only: Grip-Sig must be a JWT signed with Realtime:Grip:Key. Clients connect through Pushpin, or with a plain WebSocket or SSE.");
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a GRIP request to {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string path, string reason);
}

/// <summary>
/// What one GRIP response sends a device: WebSocket-over-HTTP <c>TEXT</c> events, or SSE events for a held
/// stream. Registered with the hub while the request resends what is open, so those sends land in the response.
/// </summary>
internal sealed class GripResponseConnection(bool sse) : IDeviceConnection
{
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private readonly Lock _lock = new();
    private bool _complete;

    public void Write(Action<IBufferWriter<byte>> write)
    {
        lock (_lock)
        {
            if (_complete) throw new InvalidOperationException("The GRIP response was already written.");
            write(_output);
        }
    }

    public Task SendAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct)
    {
        Write(o =>
        {
            if (!sse)
            {
                // With the grip extension, Pushpin passes TEXT to the client only with the "m:" prefix ("c:" is for it).
                WebSocketEvents.Write(o, "TEXT", [.. "m:"u8, .. json.Span]);
                return;
            }
            if (eventId is not null) o.Write(Encoding.UTF8.GetBytes($"id: {eventId}\n"));
            o.Write("data: "u8);
            o.Write(json.Span);
            o.Write("\n\n"u8);
        });
        return Task.CompletedTask;
    }

    public void Abort() { }

    /// <summary>Ends the response: later sends fail, so the hub publishes them instead.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        lock (_lock)
        {
            _complete = true;
            return _output.WrittenMemory;
        }
    }
}
