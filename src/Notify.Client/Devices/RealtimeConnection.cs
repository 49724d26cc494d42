using System.Buffers;
using System.Net.WebSockets;

namespace Notify.Client.Devices;

/// <summary>
/// One open WebSocket to <c>/v1/realtime</c>: framing, serialized sends, the heartbeat and ping/pong
/// bookkeeping. A reconnection makes a new instance; nothing here outlives its socket.
/// </summary>
internal sealed class RealtimeConnection : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly TimeProvider _time;
    private readonly int _maxMessageBytes;
    // ClientWebSocket allows one send at a time; heartbeats, state reports, acks and the close race otherwise.
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Lock _pingGate = new();
    private readonly List<(long Sequence, TaskCompletionSource Completion)> _pingWaiters = [];
    private long _pingsSent;
    private long _pongsReceived;
    private long _lastReceivedTimestamp;
    private ITimer? _heartbeat;
    private int _disposed;

    public RealtimeConnection(ClientWebSocket socket, TimeProvider time, int maxMessageBytes)
    {
        _socket = socket;
        _time = time;
        _maxMessageBytes = maxMessageBytes;
        _lastReceivedTimestamp = time.GetTimestamp();
    }

    /// <summary>The device id from the server's hello.</summary>
    public string DeviceId { get; set; } = "";

    /// <summary>The server's clock at hello.</summary>
    public DateTimeOffset ServerTime { get; set; }

    /// <summary>Set when the heartbeat gave up on the connection and aborted it.</summary>
    public bool HeartbeatTimedOut { get; private set; }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;
    public string? CloseStatusDescription => _socket.CloseStatusDescription;

    /// <summary>Reads one whole message. Returns false when the server sent a close frame.</summary>
    /// <remarks>The returned bytes stay valid until the next call.</remarks>
    public async Task<(bool Open, ReadOnlyMemory<byte> Message)> ReceiveAsync(CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer.GetMemory(4096), cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastReceivedTimestamp, _time.GetTimestamp());
            if (result.MessageType == WebSocketMessageType.Close) return (false, default);
            _buffer.Advance(result.Count);
            if (_buffer.WrittenCount > _maxMessageBytes)
            {
                await CloseOutputAsync(WebSocketCloseStatus.MessageTooBig,
                    $"messages are limited to {_maxMessageBytes} bytes", cancellationToken).ConfigureAwait(false);
                throw new WebSocketException(WebSocketError.Faulted,
                    $"The server sent a message larger than MaxMessageBytes ({_maxMessageBytes}).");
            }

            if (result.EndOfMessage) return (true, _buffer.WrittenMemory);
        }
    }

    /// <summary>Sends one text message; concurrent callers wait their turn.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(utf8Json, WebSocketMessageType.Text, endOfMessage: true, cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a ping and completes when its pong arrives. The server answers pings in order, so the
    /// pong proves everything sent before the ping was processed.</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_pingGate) _pingWaiters.Add((++_pingsSent, completion));
            await _socket.SendAsync(WireMessages.Ping, WebSocketMessageType.Text, endOfMessage: true, cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }

        await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts a pong and completes the pings it answers.</summary>
    public void OnPong()
    {
        List<TaskCompletionSource>? answered = null;
        lock (_pingGate)
        {
            _pongsReceived++;
            for (var i = _pingWaiters.Count - 1; i >= 0; i--)
            {
                if (_pingWaiters[i].Sequence > _pongsReceived) continue;
                (answered ??= []).Add(_pingWaiters[i].Completion);
                _pingWaiters.RemoveAt(i);
            }
        }

        foreach (var completion in answered ?? []) completion.TrySetResult();
    }

    /// <summary>Starts pinging every <paramref name="interval"/>; if nothing arrives for <paramref name="timeout"/>,
    /// aborts the socket so the receive loop ends and the client reconnects.</summary>
    public void StartHeartbeat(TimeSpan interval, TimeSpan timeout, Action<TimeSpan> onTimeout)
    {
        _heartbeat = _time.CreateTimer(_ => _ = BeatAsync(timeout, onTimeout), null, interval, interval);
    }

    private async Task BeatAsync(TimeSpan timeout, Action<TimeSpan> onTimeout)
    {
        var silent = _time.GetElapsedTime(Volatile.Read(ref _lastReceivedTimestamp));
        if (silent >= timeout)
        {
            HeartbeatTimedOut = true;
            onTimeout(silent);
            Abort();
            return;
        }

        try
        {
            await PingAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A failed ping means a broken socket: the receive loop sees it too and handles the reconnection.
        }
    }

    /// <summary>Sends our close frame; the server's answer ends the receive loop.</summary>
    public async Task CloseOutputAsync(WebSocketCloseStatus status, string description, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync(status, description, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Drops the socket at once; pending receives and sends fail.</summary>
    public void Abort() => _socket.Abort();

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return ValueTask.CompletedTask;
        _heartbeat?.Dispose();
        List<TaskCompletionSource> pending;
        lock (_pingGate)
        {
            pending = [.. _pingWaiters.Select(w => w.Completion)];
            _pingWaiters.Clear();
        }

        var lost = new WebSocketException(WebSocketError.ConnectionClosedPrematurely,
            "The realtime connection closed before the server answered the ping.");
        foreach (var completion in pending) completion.TrySetException(lost);
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
