using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Devices;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Storage;
using Notify.Server.Auth;
using Notify.Server.Problems;

namespace Notify.Server.Realtime;

/// <summary><c>GET /v1/realtime</c> (WebSocket) and <c>GET /v1/realtime/events</c> (Server-Sent Events).</summary>
public static partial class RealtimeApi
{
    public static IEndpointRouteBuilder MapRealtimeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/realtime").RequireAuthorization(Policies.Device).WithTags("Realtime");
        group.MapGet("/", WebSocketAsync).WithSummary("Device realtime channel over WebSocket");
        group.MapPost("/", Grip.GripRealtimeApi.WebSocketEventsAsync).WithSummary("Device realtime channel through Pushpin (WebSocket-over-HTTP)");
        group.MapGet("/events", ServerSentEventsAsync).WithSummary("Device realtime channel over Server-Sent Events (fallback)");
        // Pushpin's call-back for a held stream carries no token: it is authenticated by Grip-Sig and a signed link.
        app.MapGet(Grip.GripRealtimeApi.NextLinkPath, Grip.GripRealtimeApi.NextLinkAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> WebSocketAsync(HttpContext context, INotifyStore store, DeviceStateTracker tracker, ConnectionHub hub,
        NotificationHandlers handlers, TimeProvider time, IOptions<RealtimeOptions> options, ILoggerFactory loggers)
    {
        if (!context.WebSockets.IsWebSocketRequest)
            return Problem.BadRequest("websocket-required", "This endpoint speaks WebSocket; a client without WebSocket can use GET /v1/realtime/events (SSE).");
        var device = await store.GetDeviceAsync(context.Caller().DeviceId!, context.RequestAborted);
        if (device is null) return Problem.NotFound("device", context.Caller().DeviceId!);

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = options.Value.KeepAliveInterval });
        var connection = new WebSocketConnection(socket);
        var logger = loggers.CreateLogger("Notify.Realtime");
        var session = new DeviceSession(device, connection, tracker, handlers, time);
        hub.Add(device.Device.Id, connection);
        tracker.Connected(device, time.GetUtcNow());
        try
        {
            await connection.SendAsync(ConnectionHub.Serialize(new HelloMessage(device.Device.Id, time.GetUtcNow())), null, context.RequestAborted);
            await handlers.Resends.ResendOpenAsync(device.Device.Id, null, context.RequestAborted);
            await ReceiveLoopAsync(socket, connection, session, time, options.Value, context.RequestAborted);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            LogClosed(logger, device.Device.Id, e.Message);
        }
        finally
        {
            hub.Remove(device.Device.Id, connection);
            tracker.Disconnected(device, time.GetUtcNow());
        }
        return Results.Empty;
    }

    private static async Task ReceiveLoopAsync(WebSocket socket, WebSocketConnection connection, DeviceSession session, TimeProvider time,
        RealtimeOptions options, CancellationToken aborted)
    {
        // Missing heartbeats close the socket politely (a close frame with the reason); a peer that does not
        // answer the close within 5 s is gone (half-open TCP) and the socket is aborted.
        var closing = 0;
        ITimer? heartbeat = null;
        heartbeat = time.CreateTimer(_ =>
        {
            if (Interlocked.Exchange(ref closing, 1) == 0)
            {
                _ = connection.CloseAsync(WebSocketCloseStatus.PolicyViolation,
                    $"no heartbeat: send {{\"type\":\"ping\"}} at least every {options.HeartbeatTimeout.TotalSeconds:0}s");
                heartbeat?.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
            }
            else socket.Abort();
        }, null, options.HeartbeatTimeout, Timeout.InfiniteTimeSpan);
        await using var _ = heartbeat;

        var buffer = new ArrayBufferWriter<byte>(4096);
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            buffer.Clear();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.GetMemory(4096), aborted);
                buffer.Advance(result.Count);
                if (buffer.WrittenCount > options.MaxMessageBytes)
                {
                    await connection.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"messages are limited to {options.MaxMessageBytes} bytes");
                    return;
                }
            } while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived) await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                return;
            }
            if (Volatile.Read(ref closing) == 0) heartbeat.Change(options.HeartbeatTimeout, Timeout.InfiniteTimeSpan);
            if (result.MessageType != WebSocketMessageType.Text)
            {
                await session.ReplyAsync(new ErrorMessage("text-only", "Send JSON text frames."), aborted);
                continue;
            }
            await session.HandleAsync(buffer.WrittenMemory, aborted);
        }
    }

    private static async Task ServerSentEventsAsync(HttpContext context, INotifyStore store, DeviceStateTracker tracker, ConnectionHub hub,
        NotificationHandlers handlers, TimeProvider time, IOptions<RealtimeOptions> options)
    {
        var device = await store.GetDeviceAsync(context.Caller().DeviceId!, context.RequestAborted);
        if (device is null)
        {
            await Problem.WriteAsync(context, 404, "not-found", "This device was removed.");
            return;
        }
        if (context.Request.Headers.ContainsKey(Grip.GripSignature.Header) && context.RequestServices.GetService<Grip.GripEdge>() is { } edge)
        {
            // Through Pushpin: a held stream on the device's channel, never a plain stream on a forged GRIP request.
            if (await edge.VerifyAsync(context, context.RequestServices.GetRequiredService<ILoggerFactory>()))
                await Grip.GripRealtimeApi.ServerSentEventsAsync(context, edge, device, tracker, hub, handlers, time);
            return;
        }
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var connection = new SseConnection(context);
        var aborted = context.RequestAborted;
        hub.Add(device.Device.Id, connection);
        tracker.Connected(device, time.GetUtcNow());
        try
        {
            await connection.SendAsync(ConnectionHub.Serialize(new HelloMessage(device.Device.Id, time.GetUtcNow())), null, aborted);
            var lastEventId = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } h ? h : null;
            await handlers.Resends.ResendOpenAsync(device.Device.Id, lastEventId, aborted);
            while (!aborted.IsCancellationRequested)
            {
                await Task.Delay(options.Value.SseKeepAliveInterval, time, aborted);
                await connection.KeepAliveAsync(aborted);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            hub.Remove(device.Device.Id, connection);
            tracker.Disconnected(device, time.GetUtcNow());
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime connection of device {DeviceId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string deviceId, string reason);

    private sealed class WebSocketConnection(WebSocket socket) : IDeviceConnection
    {
        private readonly SemaphoreSlim _send = new(1, 1);

        public void Abort() => socket.Abort();

        /// <summary>Sends the close frame (after any send in flight); failures mean the socket is gone anyway.</summary>
        public async Task CloseAsync(WebSocketCloseStatus status, string reason)
        {
            try
            {
                await _send.WaitAsync();
                try
                {
                    if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        await socket.CloseOutputAsync(status, reason, CancellationToken.None);
                }
                finally { _send.Release(); }
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException) { }
        }

        public async Task SendAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct)
        {
            await _send.WaitAsync(ct);
            try { await socket.SendAsync(json, WebSocketMessageType.Text, true, ct); }
            finally { _send.Release(); }
        }
    }

    private sealed class SseConnection(HttpContext context) : IDeviceConnection
    {
        private static readonly byte[] Data = "data: "u8.ToArray();
        private readonly SemaphoreSlim _send = new(1, 1);
        private HttpResponse response => context.Response;

        public void Abort() => context.Abort();

        public async Task SendAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct)
        {
            await _send.WaitAsync(ct);
            try
            {
                if (eventId is not null) await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"id: {eventId}\n"), ct);
                await response.Body.WriteAsync(Data, ct);
                await response.Body.WriteAsync(json, ct);
                await response.Body.WriteAsync("\n\n"u8.ToArray(), ct);
                await response.Body.FlushAsync(ct);
            }
            finally { _send.Release(); }
        }

        public async Task KeepAliveAsync(CancellationToken ct)
        {
            await _send.WaitAsync(ct);
            try
            {
                await response.Body.WriteAsync(": keep-alive\n\n"u8.ToArray(), ct);
                await response.Body.FlushAsync(ct);
            }
            finally { _send.Release(); }
        }
    }
}

/// <summary>Handles what a device says over its connection: state, ack, ping.</summary>
internal sealed class DeviceSession(StoredDevice device, IDeviceConnection connection, DeviceStateTracker tracker, NotificationHandlers handlers, TimeProvider time)
{
    public Task ReplyAsync(ServerMessage message, CancellationToken ct) => connection.SendAsync(ConnectionHub.Serialize(message), null, ct);

    public async Task HandleAsync(ReadOnlyMemory<byte> json, CancellationToken ct)
    {
        DeviceMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<DeviceMessage>(json.Span, ServerJson.Strict);
        }
        catch (JsonException e)
        {
            await ReplyAsync(new ErrorMessage("invalid-message", $"Not a valid message near '{e.Path ?? "$"}': {e.Message.Split(" Path:", 2)[0]}"), ct);
            return;
        }
        var now = time.GetUtcNow();
        switch (message?.Type)
        {
            case "ping":
                tracker.Touch(device, now);
                await ReplyAsync(new PongMessage(), ct);
                break;
            case "state":
                var report = message.ToStateReport();
                if (report.Validate() is { } error) await ReplyAsync(new ErrorMessage("invalid-state", error.Message), ct);
                else
                {
                    tracker.Report(device, report, now);
                    await handlers.Holds.DeviceChangedAsync(device.Device, ct);
                }
                break;
            case "ack":
                if (message.NotificationId is null || message.Action is null)
                {
                    await ReplyAsync(new ErrorMessage("invalid-ack", "An ack needs notificationId and action (seen, opened or dismissed)."), ct);
                    break;
                }
                if (await handlers.Acks.AcknowledgeAsync(device.Device, message.NotificationId, message.Action.Value, ct) is AckOutcome.NotFound)
                    await ReplyAsync(new ErrorMessage("not-found", $"There is no notification '{message.NotificationId}' for this device's user."), ct);
                break;
            default:
                await ReplyAsync(new ErrorMessage("unknown-type", $"Unknown message type '{message?.Type}'; send state, ack or ping."), ct);
                break;
        }
    }
}
