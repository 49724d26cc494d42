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
        var connection = new WebSocketConnection(socket, time.GetUtcNow());
        var logger = loggers.CreateLogger("Notify.Realtime");
        var session = new DeviceSession(device, connection, tracker, handlers, hub, time, options.Value);
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

    /// <summary>
    /// The connection's only loop. It waits for the next frame with a zero-byte read, so an idle device holds no
    /// receive buffer: one is rented from the shared pool only while a message is read and handled.
    /// </summary>
    private static async Task ReceiveLoopAsync(WebSocket socket, WebSocketConnection connection, DeviceSession session, TimeProvider time,
        RealtimeOptions options, CancellationToken aborted)
    {
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var result = await socket.ReceiveAsync(Memory<byte>.Empty, aborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived) await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                return;
            }
            // One byte over the limit tells a message at the limit from one beyond it.
            var buffer = ArrayPool<byte>.Shared.Rent(options.MaxMessageBytes + 1);
            try
            {
                var count = result.Count;
                while (!result.EndOfMessage)
                {
                    if (count > options.MaxMessageBytes) break;
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), aborted);
                    count += result.Count;
                }
                if (count > options.MaxMessageBytes)
                {
                    await connection.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"messages are limited to {options.MaxMessageBytes} bytes");
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived) await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                    return;
                }
                connection.Heard(time.GetUtcNow());
                if (result.MessageType != WebSocketMessageType.Text)
                {
                    await session.ReplyAsync(new ErrorMessage("text-only", "Send JSON text frames."), aborted);
                    continue;
                }
                await session.HandleAsync(buffer.AsMemory(0, count), aborted);
            }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
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
        var connection = new SseConnection(context, time.GetUtcNow());
        var aborted = context.RequestAborted;
        hub.Add(device.Device.Id, connection);
        tracker.Connected(device, time.GetUtcNow());
        try
        {
            await connection.SendAsync(ConnectionHub.Serialize(new HelloMessage(device.Device.Id, time.GetUtcNow())), null, aborted);
            var lastEventId = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } h ? h : null;
            await handlers.Resends.ResendOpenAsync(device.Device.Id, lastEventId, aborted);
            // Keep-alives come from the hub's sweep; the stream lasts until the client goes or the node ends it.
            await connection.Ended.WaitAsync(aborted);
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
}

/// <summary>Handles what a device says over its connection: state, ack, ping.</summary>
internal sealed class DeviceSession(StoredDevice device, IDeviceConnection connection, DeviceStateTracker tracker, NotificationHandlers handlers,
    ConnectionHub hub, TimeProvider time, RealtimeOptions options)
{
    /// <summary>The answer to every ping, serialized once: 100,000 devices pinging every 25 s are 4,000 pongs a second.</summary>
    private static readonly byte[] Pong = ConnectionHub.Serialize(new PongMessage());

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
                await connection.SendAsync(Pong, null, ct);
                break;
            case "state":
                if (!hub.TryTakeStateReport(device.Device.Id))
                {
                    await ReplyAsync(new ErrorMessage("rate-limited", $"Too many state reports: at most {options.StateReportBurst} at once, then one every " +
                        $"{options.StateReportInterval.TotalSeconds:0.###}s. This one was dropped; send the latest state again later."), ct);
                    break;
                }
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
