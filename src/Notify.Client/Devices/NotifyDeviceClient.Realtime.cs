using System.Net;
using System.Net.WebSockets;
using System.Text.Json;

namespace Notify.Client.Devices;

// The connection's life: one attempt, the reconnection loop, the receive loop and message dispatch.
public sealed partial class NotifyDeviceClient
{
    private async Task<RealtimeConnection> ConnectWithRetryAsync(CancellationToken cancellationToken) =>
        await _reconnect.ExecuteAsync(
            async token => await ConnectOnceAsync(token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>One attempt: the upgrade with the bearer token, then the server's hello.</summary>
    private async Task<RealtimeConnection> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = new ClientWebSocket();
        RealtimeConnection? connection = null;
        try
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + _deviceToken);
            socket.Options.CollectHttpResponseDetails = true; // to tell a refused token from a network failure
            socket.Options.KeepAliveInterval = TimeSpan.Zero; // the JSON ping/pong is the heartbeat
            _options.ConfigureWebSocket?.Invoke(socket.Options);
            try
            {
                await socket.ConnectAsync(_realtimeUri, linked.Token).ConfigureAwait(false);
            }
            catch (WebSocketException ex) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new NotifyApiException(socket.HttpStatusCode, null, socket.HttpStatusCode.ToString(),
                    "The server refused the realtime connection: the device token is wrong, revoked, or its device was deleted. Register the device again for a new token.",
                    innerException: ex);
            }

            connection = new RealtimeConnection(socket, _time, _options.MaxMessageBytes);
            var (open, message) = await connection.ReceiveAsync(linked.Token).ConfigureAwait(false);
            if (!open)
                throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely,
                    $"The server closed the connection before its hello ({socket.CloseStatus} {socket.CloseStatusDescription}).");
            var hello = ReadHello(message.Span);
            connection.DeviceId = hello.DeviceId!;
            connection.ServerTime = hello.ServerTime ?? _time.GetUtcNow();
            return connection;
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await DisposeAsync(connection, socket).ConfigureAwait(false);
            throw new TimeoutException(
                $"The server did not complete the connection and send its hello within {_options.ConnectTimeout}.", ex);
        }
        catch
        {
            await DisposeAsync(connection, socket).ConfigureAwait(false);
            throw;
        }

        static async ValueTask DisposeAsync(RealtimeConnection? connection, ClientWebSocket socket)
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            else socket.Dispose();
        }
    }

    private static ServerEnvelope ReadHello(ReadOnlySpan<byte> message)
    {
        ServerEnvelope? hello;
        try
        {
            hello = JsonSerializer.Deserialize<ServerEnvelope>(message, NotifyJson.Options);
        }
        catch (JsonException ex)
        {
            throw new WebSocketException(WebSocketError.InvalidMessageType, "The server's first message was not JSON.", ex);
        }

        if (hello is { Type: "hello", DeviceId.Length: > 0 }) return hello;
        var what = hello?.Type == "error" ? $"error {hello.Code}: {hello.Message}" : $"a '{hello?.Type}' message";
        throw new WebSocketException(WebSocketError.InvalidMessageType,
            $"The server's first message should be a hello with the device id; it was {what}.");
    }

    /// <summary>Runs the connections of one session: receive until the connection ends, then reconnect, until
    /// the user stops it or the server refuses the token.</summary>
    private async Task SuperviseAsync(Session session, RealtimeConnection connection)
    {
        DisconnectedEventArgs final;
        try
        {
            while (true)
            {
                var lost = await ReceiveUntilClosedAsync(connection).ConfigureAwait(false);
                bool stop;
                lock (_gate)
                {
                    session.Current = null;
                    stop = session.StopRequested;
                    if (!stop) SetState(ConnectionState.Reconnecting);
                }

                await connection.DisposeAsync().ConfigureAwait(false);
                if (stop)
                {
                    final = new DisconnectedEventArgs(DisconnectReason.UserRequested, willReconnect: false);
                    break;
                }

                DeviceClientLog.ConnectionLost(_logger, lost.Reason, lost.Exception);
                Raise(Disconnected, lost, nameof(Disconnected));
                try
                {
                    connection = await ConnectWithRetryAsync(session.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (session.Token.IsCancellationRequested)
                {
                    final = new DisconnectedEventArgs(DisconnectReason.UserRequested, willReconnect: false);
                    break;
                }
                catch (NotifyApiException ex)
                {
                    DeviceClientLog.Rejected(_logger, (int)ex.StatusCode);
                    final = new DisconnectedEventArgs(DisconnectReason.Rejected, willReconnect: false, ex);
                    break;
                }

                lock (_gate)
                {
                    stop = session.StopRequested;
                    if (!stop) Attach(session, connection);
                }

                if (stop)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    final = new DisconnectedEventArgs(DisconnectReason.UserRequested, willReconnect: false);
                    break;
                }

                OnConnected(connection, isReconnect: true);
            }
        }
        catch (Exception ex)
        {
            DeviceClientLog.Faulted(_logger, ex);
            final = new DisconnectedEventArgs(DisconnectReason.Faulted, willReconnect: false, ex);
        }

        EndSession(session, final, final.Reason is DisconnectReason.Rejected or DisconnectReason.Faulted ? final.Exception : null);
    }

    /// <summary>Dispatches messages until the connection ends, and says how it ended.</summary>
    private async Task<DisconnectedEventArgs> ReceiveUntilClosedAsync(RealtimeConnection connection)
    {
        try
        {
            while (true)
            {
                var (open, message) = await connection.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
                if (open)
                {
                    HandleMessage(message.Span, connection);
                    continue;
                }

                try
                {
                    // Answer the server's close frame (a no-op when we started the close).
                    using var timeout = new CancellationTokenSource(_options.CloseTimeout, _time);
                    await connection.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The server is gone already.
                }

                return new DisconnectedEventArgs(DisconnectReason.ClosedByServer, willReconnect: true, null,
                    connection.CloseStatus, connection.CloseStatusDescription);
            }
        }
        catch (Exception ex)
        {
            var reason = connection.HeartbeatTimedOut ? DisconnectReason.HeartbeatTimeout : DisconnectReason.ConnectionLost;
            return new DisconnectedEventArgs(reason, willReconnect: true, ex);
        }
    }

    /// <summary>Handles one server message. Unreadable or unknown messages are logged and skipped: one bad message
    /// must not cost the connection.</summary>
    internal void HandleMessage(ReadOnlySpan<byte> utf8Json, RealtimeConnection? connection)
    {
        ServerEnvelope? message;
        try
        {
            message = JsonSerializer.Deserialize<ServerEnvelope>(utf8Json, NotifyJson.Options);
        }
        catch (JsonException ex)
        {
            DeviceClientLog.UnreadableMessage(_logger, ex);
            return;
        }

        switch (message?.Type)
        {
            case "notification" when message.Notification is { Id.Length: > 0 } notification:
                if (!_messages.TryAddNotification(notification))
                {
                    DeviceClientLog.Duplicate(_logger, notification.Id);
                    return;
                }

                _notifications.Writer.TryWrite(notification);
                Raise(NotificationReceived, new NotificationReceivedEventArgs(notification), nameof(NotificationReceived));
                break;
            case "clear" when message.NotificationId is { Length: > 0 } notificationId:
                var clear = new ClearMessage
                {
                    NotificationId = notificationId,
                    Reason = ClearMessage.ParseReason(message.Reason),
                    ReasonText = message.Reason,
                };
                if (!_messages.TryAddClear(clear)) return;
                _clears.Writer.TryWrite(clear);
                Raise(Cleared, new ClearedEventArgs(clear), nameof(Cleared));
                break;
            case "pong":
                connection?.OnPong();
                break;
            case "error":
                var error = new ServerError(message.Code ?? "unknown", message.Message ?? "");
                DeviceClientLog.ServerError(_logger, error.Code, error.Message);
                Raise(Error, new ServerErrorEventArgs(error), nameof(Error));
                break;
            case "hello":
                break; // already read by ConnectOnceAsync; a repeat carries nothing new
            default:
                DeviceClientLog.UnknownMessage(_logger, message?.Type);
                break;
        }
    }

    /// <summary>Makes the connection current. Call under <see cref="_gate"/>.</summary>
    private void Attach(Session session, RealtimeConnection connection)
    {
        session.Current = connection;
        _deviceId = connection.DeviceId;
        SetState(ConnectionState.Connected);
    }

    private void OnConnected(RealtimeConnection connection, bool isReconnect)
    {
        connection.StartHeartbeat(_options.HeartbeatInterval, _options.HeartbeatTimeout,
            silence => DeviceClientLog.HeartbeatTimeout(_logger, silence));
        DeviceClientLog.Connected(_logger, connection.DeviceId, isReconnect);
        Raise(Connected, new ConnectedEventArgs(connection.DeviceId, connection.ServerTime, isReconnect), nameof(Connected));
    }

    /// <summary>Ends a session for good: state back to disconnected, the final event, then the completion
    /// <see cref="DisconnectAsync"/> waits for.</summary>
    private void EndSession(Session session, DisconnectedEventArgs? final, Exception? failConnectedWaiters)
    {
        lock (_gate)
        {
            if (_session == session)
            {
                _session = null;
                SetState(ConnectionState.Disconnected);
            }

            if (failConnectedWaiters is not null)
            {
                _connectedSignal.TrySetException(failConnectedWaiters);
                _connectedSignal = NewSignal();
            }
        }

        if (final is not null) Raise(Disconnected, final, nameof(Disconnected));
        session.Completion.TrySetResult();
    }

    /// <summary>Call under <see cref="_gate"/>.</summary>
    private void SetState(ConnectionState state)
    {
        _state = state;
        if (state == ConnectionState.Connected) _connectedSignal.TrySetResult();
        else if (_connectedSignal.Task.IsCompleted) _connectedSignal = NewSignal();
    }

    /// <summary>Invokes each handler on its own, so one failing handler neither stops the others nor the connection.</summary>
    private void Raise<T>(EventHandler<T>? handlers, T args, string name)
    {
        if (handlers is null) return;
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<T>)handler)(this, args);
            }
            catch (Exception ex)
            {
                DeviceClientLog.HandlerFailed(_logger, name, ex);
            }
        }
    }

    /// <summary>One ConnectAsync-to-DisconnectAsync span, across any number of reconnections.</summary>
    private sealed class Session
    {
        private readonly CancellationTokenSource _stop = new();

        public CancellationToken Token => _stop.Token;

        /// <summary>Set under the client's lock by <see cref="DisconnectAsync"/>.</summary>
        public bool StopRequested { get; set; }

        /// <summary>The open connection, or null between connections. Guarded by the client's lock.</summary>
        public RealtimeConnection? Current { get; set; }

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel() => _stop.Cancel();
    }
}
