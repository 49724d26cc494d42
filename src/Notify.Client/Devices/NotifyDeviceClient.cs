using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Notify.Client.Devices;

/// <summary>
/// The device side of Notify: holds the realtime WebSocket to <c>/v1/realtime</c>, receives notifications
/// and clears, reports the device's state and acknowledges what the user saw.
/// </summary>
/// <remarks>
/// <para>After <see cref="ConnectAsync"/> the client keeps the connection alive on its own: it pings every
/// <see cref="NotifyDeviceClientOptions.HeartbeatInterval"/>, and when the connection drops for any reason other
/// than <see cref="DisconnectAsync"/> it reconnects with exponential backoff and jitter, forever, until the
/// server refuses the device token (401 or 403), which ends the loop with
/// <see cref="DisconnectReason.Rejected"/>.</para>
/// <para>The server re-sends unacknowledged notifications on every reconnect; each notification id is raised once
/// (within the last <see cref="NotifyDeviceClientOptions.DeduplicationCapacity"/> ids), and so is each clear.</para>
/// <para>Messages are offered three ways, use whichever fits: events (raised on the receive loop, in order;
/// keep handlers short, and an exception a handler throws is logged, not fatal), the
/// <see cref="Notifications"/> and <see cref="Clears"/> channels, and the awaitable
/// <see cref="WaitForNotificationAsync(Func{ReceivedNotification, bool}?, CancellationToken)"/> and <see cref="WaitForClearAsync"/>, which also see messages that
/// arrived before the call, so tests need neither sleeps nor races.</para>
/// <para>All time (heartbeat, timeouts, backoff) comes from the injected <see cref="TimeProvider"/>.</para>
/// </remarks>
public sealed partial class NotifyDeviceClient : IAsyncDisposable
{
    private readonly NotifyDeviceClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _deviceToken;
    private readonly Uri _realtimeUri;
    private readonly HttpClient _httpClient;
    private readonly NotifyHttp _http;
    private readonly ResiliencePipeline _reconnect;
    private readonly MessageLog _messages;
    private readonly Channel<ReceivedNotification> _notifications;
    private readonly Channel<ClearMessage> _clears;
    private readonly Lock _gate = new();
    private Session? _session;
    private ConnectionState _state;
    private string? _deviceId;
    private TaskCompletionSource _connectedSignal = NewSignal();
    private bool _disposed;

    /// <summary>Creates a client; nothing connects until <see cref="ConnectAsync"/>.</summary>
    /// <param name="baseUri">The server's HTTP address (<c>https://notify.example.com/</c>); the WebSocket uses the
    /// matching <c>wss</c> (or <c>ws</c>) address.</param>
    /// <param name="deviceToken">The token <c>POST /v1/users/{id}/devices</c> returned for this device.</param>
    /// <param name="options">Connection settings; null for the defaults. Copied: later changes have no effect.</param>
    /// <param name="timeProvider">The clock for heartbeats, timeouts and backoff; null for <see cref="TimeProvider.System"/>.</param>
    public NotifyDeviceClient(Uri baseUri, string deviceToken, NotifyDeviceClientOptions? options = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceToken);
        var httpBase = NotifyHttp.NormalizeBase(baseUri);
        if (httpBase.Scheme != Uri.UriSchemeHttp && httpBase.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"Use the server's http or https address, not '{httpBase.Scheme}'.", nameof(baseUri));
        _options = (options ?? new NotifyDeviceClientOptions()).Snapshot();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _logger = _options.Logger ?? NullLogger.Instance;
        _deviceToken = deviceToken;
        _realtimeUri = RealtimeUri(httpBase);
        _httpClient = new HttpClient { BaseAddress = httpBase };
        _http = new NotifyHttp(_httpClient, httpBase, deviceToken);
        _messages = new MessageLog(_options.DeduplicationCapacity);
        var channelOptions = new BoundedChannelOptions(_options.ChannelCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
        };
        _notifications = System.Threading.Channels.Channel.CreateBounded<ReceivedNotification>(channelOptions);
        _clears = System.Threading.Channels.Channel.CreateBounded<ClearMessage>(channelOptions);
        _reconnect = BuildReconnectPipeline();
    }

    /// <summary>Raised when a connection opens (the server's hello arrived), first and after each reconnection.</summary>
    public event EventHandler<ConnectedEventArgs>? Connected;

    /// <summary>Raised when a connection closes; <see cref="DisconnectedEventArgs.WillReconnect"/> says whether the
    /// client carries on. A lost connection raises it with <c>WillReconnect</c> true; if reconnecting then ends for
    /// good (token refused, or <see cref="DisconnectAsync"/> called meanwhile) it is raised once more with false.</summary>
    public event EventHandler<DisconnectedEventArgs>? Disconnected;

    /// <summary>Raised before each wait between failed reconnection attempts.</summary>
    public event EventHandler<ReconnectingEventArgs>? Reconnecting;

    /// <summary>Raised once per notification id.</summary>
    public event EventHandler<NotificationReceivedEventArgs>? NotificationReceived;

    /// <summary>Raised once per cleared notification id.</summary>
    public event EventHandler<ClearedEventArgs>? Cleared;

    /// <summary>Raised when the server reports an error about a message this device sent.</summary>
    public event EventHandler<ServerErrorEventArgs>? Error;

    /// <summary>The device id: from the server's hello once connected, else <see cref="NotifyDeviceClientOptions.DeviceId"/>.</summary>
    public string? DeviceId
    {
        get
        {
            lock (_gate) return _deviceId ?? _options.DeviceId;
        }
    }

    /// <summary>Where the realtime connection stands.</summary>
    public ConnectionState State
    {
        get
        {
            lock (_gate) return _state;
        }
    }

    /// <summary>Notifications in arrival order, each id once. Bounded by
    /// <see cref="NotifyDeviceClientOptions.ChannelCapacity"/> (oldest dropped); completes on dispose.</summary>
    public ChannelReader<ReceivedNotification> Notifications => _notifications.Reader;

    /// <summary>Clears in arrival order, each notification id once. Bounded like <see cref="Notifications"/>.</summary>
    public ChannelReader<ClearMessage> Clears => _clears.Reader;

    /// <summary>Opens the realtime connection and returns once the server's hello has arrived; from then on the
    /// client reconnects by itself until <see cref="DisconnectAsync"/>.</summary>
    /// <exception cref="NotifyApiException">The server refused the device token (401 or 403); not retried.</exception>
    /// <exception cref="System.Net.WebSockets.WebSocketException">The server could not be reached (only when
    /// <see cref="NotifyDeviceClientOptions.RetryInitialConnect"/> is false).</exception>
    /// <exception cref="TimeoutException">No hello within <see cref="NotifyDeviceClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="InvalidOperationException">Already connected or connecting.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        var session = new Session();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_session is not null)
                throw new InvalidOperationException($"The client is already {_state}; call DisconnectAsync first.");
            _session = session;
            SetState(ConnectionState.Connecting);
        }

        RealtimeConnection connection;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, session.Token);
            connection = _options.RetryInitialConnect
                ? await ConnectWithRetryAsync(linked.Token).ConfigureAwait(false)
                : await ConnectOnceAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            EndSession(session, null, ex as NotifyApiException);
            throw;
        }

        bool stopped;
        lock (_gate)
        {
            stopped = session.StopRequested;
            if (!stopped) Attach(session, connection);
        }

        if (stopped)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            EndSession(session, null, null);
            throw new OperationCanceledException("DisconnectAsync was called while connecting.");
        }

        OnConnected(connection, isReconnect: false);
        // SuperviseAsync never throws: every end of the session is reported through Disconnected.
        _ = Task.Run(() => SuperviseAsync(session, connection), CancellationToken.None);
    }

    /// <summary>Closes the connection cleanly (close handshake, at most
    /// <see cref="NotifyDeviceClientOptions.CloseTimeout"/>) and stops reconnecting. Does nothing when not
    /// connected. <see cref="ConnectAsync"/> may be called again afterwards.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        Session? session;
        RealtimeConnection? current;
        lock (_gate)
        {
            session = _session;
            if (session is null) return;
            session.StopRequested = true;
            current = session.Current;
        }

        if (current is null)
        {
            session.Cancel(); // connecting, or waiting between reconnection attempts
        }
        else
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.CloseTimeout, _time);
                await current.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure,
                    "client disconnect", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                current.Abort(); // already broken: the receive loop ends at once
            }
        }

        try
        {
            await session.Completion.Task.WaitAsync(_options.CloseTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The server did not answer the close frame in time: drop the socket.
            session.Cancel();
            current?.Abort();
            await session.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Completes when the connection is open: at once if it is, else at the next successful
    /// (re)connection. Fails with the reason if the server refuses the device token meanwhile.</summary>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _state == ConnectionState.Connected
                ? Task.CompletedTask
                : _connectedSignal.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Sends a state report over the realtime connection (<c>{"type":"state",…}</c>).</summary>
    /// <exception cref="InvalidOperationException">Not connected; use <see cref="ReportStateOverHttpAsync"/>.</exception>
    public Task ReportStateAsync(DeviceStateReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        return CurrentConnection().SendAsync(WireMessages.Serialize(StateMessage.From(report)), cancellationToken);
    }

    /// <summary>Acknowledges a notification over the realtime connection (<c>{"type":"ack",…}</c>): the escalation
    /// stops and the user's other devices get a clear.</summary>
    /// <exception cref="InvalidOperationException">Not connected; use <see cref="AckOverHttpAsync"/>.</exception>
    public Task AckAsync(string notificationId, AckAction action, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notificationId);
        return CurrentConnection().SendAsync(WireMessages.Serialize(new AckMessage(notificationId, action)),
            cancellationToken);
    }

    /// <summary>Sends a ping and completes when the server's pong arrives. The server handles a connection's
    /// messages in order, so this is a barrier: a state report or ack sent before it has been applied.</summary>
    /// <exception cref="InvalidOperationException">Not connected.</exception>
    public Task PingAsync(CancellationToken cancellationToken = default) =>
        CurrentConnection().PingAsync(cancellationToken);

    /// <summary>Sends a state report over HTTP (<c>POST /v1/devices/{id}/state</c>), for when the realtime
    /// connection is down or not wanted (a background task on a phone).</summary>
    /// <exception cref="InvalidOperationException">The device id is not known yet (see <see cref="DeviceId"/>).</exception>
    /// <exception cref="NotifyApiException">The server refused the report.</exception>
    public Task ReportStateOverHttpAsync(DeviceStateReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var deviceId = DeviceId ?? throw new InvalidOperationException(
            "The device id is not known yet: set NotifyDeviceClientOptions.DeviceId to the id returned at registration, or connect once.");
        return _http.SendAndForgetBodyAsync(HttpMethod.Post, _http.Resolve("v1", "devices", deviceId, "state"), report,
            cancellationToken);
    }

    /// <summary>Acknowledges a notification over HTTP (<c>POST /v1/notifications/{id}/ack</c>), for example from a
    /// push notification's action while the app is not connected.</summary>
    /// <exception cref="NotifyApiException">The server refused the acknowledgement.</exception>
    public Task AckOverHttpAsync(string notificationId, AckAction action, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notificationId);
        return _http.SendAndForgetBodyAsync(HttpMethod.Post, _http.Resolve("v1", "notifications", notificationId, "ack"),
            new AckBody(action), cancellationToken);
    }

    /// <summary>Completes with the earliest remembered notification that matches <paramref name="filter"/> (any
    /// notification when null), whether it already arrived or arrives later.</summary>
    /// <exception cref="TimeoutException">None arrived within <see cref="NotifyDeviceClientOptions.WaitTimeout"/> (30 s).</exception>
    public Task<ReceivedNotification> WaitForNotificationAsync(Func<ReceivedNotification, bool>? filter = null,
        CancellationToken cancellationToken = default) =>
        WaitForNotificationAsync(filter, _options.WaitTimeout, cancellationToken);

    /// <summary>As <see cref="WaitForNotificationAsync(Func{ReceivedNotification, bool}?, CancellationToken)"/>, waiting at most
    /// <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: until cancelled).</summary>
    public Task<ReceivedNotification> WaitForNotificationAsync(Func<ReceivedNotification, bool>? filter, TimeSpan timeout,
        CancellationToken cancellationToken = default) =>
        WithTimeoutAsync(ct => _messages.WaitForNotificationAsync(filter ?? (static _ => true), ct), timeout,
            "No notification" + (filter is null ? "" : " matching the filter") + " arrived within {0}. Is the device connected, and is the notification held " +
            "(quiet hours, a deferral) or meant for another device? GET /v1/notifications/{{id}} shows its status and trace.", cancellationToken);

    /// <summary>Completes with the clear for <paramref name="notificationId"/>, whether it already arrived or
    /// arrives later.</summary>
    /// <exception cref="TimeoutException">It did not arrive within <see cref="NotifyDeviceClientOptions.WaitTimeout"/> (30 s).</exception>
    public Task<ClearMessage> WaitForClearAsync(string notificationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notificationId);
        return WithTimeoutAsync(ct => _messages.WaitForClearAsync(notificationId, ct), _options.WaitTimeout,
            $"No clear for {notificationId} arrived within {{0}}.", cancellationToken);
    }

    private async Task<T> WithTimeoutAsync<T>(Func<CancellationToken, Task<T>> wait, TimeSpan timeout, string message, CancellationToken cancellationToken)
    {
        if (timeout == Timeout.InfiniteTimeSpan) return await wait(cancellationToken);
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await wait(linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(string.Format(System.Globalization.CultureInfo.InvariantCulture, message, timeout));
        }
    }

    /// <summary>Disconnects (see <see cref="DisconnectAsync"/>), completes the channels, fails pending waits with
    /// <see cref="ObjectDisposedException"/> and releases the HTTP client.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }

        try
        {
            await DisconnectAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            // Disposing must not throw: the socket is gone either way.
        }

        var disposed = new ObjectDisposedException(nameof(NotifyDeviceClient));
        lock (_gate) _connectedSignal.TrySetException(disposed);
        _messages.Close(disposed);
        _notifications.Writer.TryComplete();
        _clears.Writer.TryComplete();
        _httpClient.Dispose();
    }

    private RealtimeConnection CurrentConnection()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _session?.Current ?? throw new InvalidOperationException(
                $"The realtime connection is {_state}, not Connected: call ConnectAsync (or WaitUntilConnectedAsync), or use the OverHttp method.");
        }
    }

    private ResiliencePipeline BuildReconnectPipeline() => new ResiliencePipelineBuilder { TimeProvider = _time }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } ex && IsTransient(ex, args.Context.CancellationToken)),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.ReconnectBaseDelay,
            MaxDelay = _options.ReconnectMaxDelay,
            MaxRetryAttempts = int.MaxValue,
            OnRetry = args =>
            {
                var attempt = args.AttemptNumber + 1;
                DeviceClientLog.Reconnecting(_logger, attempt, args.RetryDelay, args.Outcome.Exception);
                Raise(Reconnecting, new ReconnectingEventArgs(attempt, args.RetryDelay, args.Outcome.Exception),
                    nameof(Reconnecting));
                return default;
            },
        })
        .Build();

    /// <summary>Network failures, timeouts and a server that answered the upgrade wrongly are worth another attempt;
    /// a refused token, the caller's own cancellation and programming errors (say, a throwing
    /// <see cref="NotifyDeviceClientOptions.ConfigureWebSocket"/>) are not.</summary>
    private static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        System.Net.WebSockets.WebSocketException or TimeoutException or IOException or HttpRequestException
            or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    private static Uri RealtimeUri(Uri httpBase) =>
        new UriBuilder(new Uri(httpBase, "v1/realtime"))
        {
            Scheme = httpBase.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        }.Uri;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
