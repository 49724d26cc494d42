using System.Net.WebSockets;
using System.Text;

namespace Notify.Server.Realtime;

/// <summary>
/// A connection this node holds open for a device (a WebSocket or an SSE stream), as opposed to a GRIP response
/// that lives for one request. Its time-based work (heartbeat deadline, SSE keep-alive, the grace after a close)
/// is done by <see cref="ConnectionHub"/>'s one sweep a second through <see cref="Tick"/>: no timer per connection.
/// </summary>
internal abstract class HeldConnection : IDeviceConnection
{
    /// <summary>How long a peer has to answer our close frame before the socket is cut off (half-open TCP).</summary>
    public static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    public abstract Task SendAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct);

    public abstract void Abort();

    /// <summary>Called about once a second with the current time.</summary>
    public abstract void Tick(DateTimeOffset now, RealtimeOptions options);

    /// <summary>Closes politely: a WebSocket close frame with <paramref name="status"/> and <paramref name="reason"/>
    /// (cut off after <see cref="CloseGrace"/> if unanswered), or the end of an SSE stream.</summary>
    public abstract void Close(WebSocketCloseStatus status, string reason, DateTimeOffset now);
}

/// <summary>A device's WebSocket: sends are serialized; the receive loop (<see cref="RealtimeApi"/>) is the only reader.</summary>
internal sealed class WebSocketConnection(WebSocket socket, DateTimeOffset openedAt) : HeldConnection
{
    private readonly SemaphoreSlim _send = new(1, 1);
    private long _lastHeard = openedAt.UtcTicks;
    private long _closingSince;

    /// <summary>The device said something: its heartbeat deadline starts again (unless the socket is closing).</summary>
    public void Heard(DateTimeOffset now)
    {
        if (Volatile.Read(ref _closingSince) == 0) Volatile.Write(ref _lastHeard, now.UtcTicks);
    }

    public override void Abort() => socket.Abort();

    public override void Tick(DateTimeOffset now, RealtimeOptions options)
    {
        var closingSince = Volatile.Read(ref _closingSince);
        if (closingSince != 0)
        {
            if (now.UtcTicks - closingSince >= CloseGrace.Ticks && socket.State != WebSocketState.Closed) socket.Abort();
            return;
        }
        // Missing heartbeats close the socket politely (a close frame with the reason).
        if (now.UtcTicks - Volatile.Read(ref _lastHeard) >= options.HeartbeatTimeout.Ticks)
            Close(WebSocketCloseStatus.PolicyViolation,
                $"no heartbeat: send {{\"type\":\"ping\"}} at least every {options.HeartbeatTimeout.TotalSeconds:0}s", now);
    }

    public override void Close(WebSocketCloseStatus status, string reason, DateTimeOffset now)
    {
        if (Interlocked.CompareExchange(ref _closingSince, Math.Max(1, now.UtcTicks), 0) == 0) _ = CloseAsync(status, reason);
    }

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
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException) { }
    }

    public override async Task SendAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct)
    {
        await _send.WaitAsync(ct);
        try { await socket.SendAsync(json, WebSocketMessageType.Text, true, ct); }
        finally { _send.Release(); }
    }
}

/// <summary>A device's Server-Sent Events stream: the request lasts until <see cref="Ended"/> completes.</summary>
internal sealed class SseConnection(HttpContext context, DateTimeOffset openedAt) : HeldConnection
{
    private static readonly byte[] Data = "data: "u8.ToArray();
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastWrite = openedAt.UtcTicks;
    private int _keepAliveInFlight;

    private HttpResponse Response => context.Response;

    /// <summary>Completes when the stream should end: closed by the node (shutdown, replaced) or aborted.</summary>
    public Task Ended => _ended.Task;

    public override void Abort()
    {
        _ended.TrySetResult();
        context.Abort();
    }

    public override void Close(WebSocketCloseStatus status, string reason, DateTimeOffset now) => _ended.TrySetResult();

    public override void Tick(DateTimeOffset now, RealtimeOptions options)
    {
        if (now.UtcTicks - Volatile.Read(ref _lastWrite) < options.SseKeepAliveInterval.Ticks || _ended.Task.IsCompleted) return;
        if (Interlocked.Exchange(ref _keepAliveInFlight, 1) == 1) return;
        Volatile.Write(ref _lastWrite, now.UtcTicks);
        _ = KeepAliveAsync();
    }

    private async Task KeepAliveAsync()
    {
        try
        {
            await WriteAsync(KeepAlive, null, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            _ended.TrySetResult();
        }
        finally { Volatile.Write(ref _keepAliveInFlight, 0); }
    }

    public override Task SendAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct) => WriteAsync(json, eventId, ct, data: true);

    private async Task WriteAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct, bool data = false)
    {
        await _send.WaitAsync(ct);
        try
        {
            if (eventId is not null) await Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"id: {eventId}\n"), ct);
            if (data)
            {
                await Response.Body.WriteAsync(Data, ct);
                await Response.Body.WriteAsync(json, ct);
                await Response.Body.WriteAsync("\n\n"u8.ToArray(), ct);
            }
            else await Response.Body.WriteAsync(json, ct);
            await Response.Body.FlushAsync(ct);
        }
        finally { _send.Release(); }
    }
}
