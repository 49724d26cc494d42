using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Notify.Client.Devices;

/// <summary>How <see cref="NotifyDeviceClient"/> keeps its realtime connection. The defaults suit a phone on a
/// mobile network; every duration is validated when the client is created.</summary>
public sealed class NotifyDeviceClientOptions
{
    /// <summary>The device id returned at registration. Optional: the server's hello names it too, but the
    /// HTTP fallbacks need it before the first connection. Default null.</summary>
    public string? DeviceId { get; set; }

    /// <summary>How often to send <c>{"type":"ping"}</c>. Default 25 s: under the 30 to 60 s idle timeouts of
    /// common proxies, load balancers and NATs, yet rare enough to let the radio sleep.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>When nothing at all (not even a pong) has arrived for this long, the connection is presumed
    /// half-open and is dropped and reopened. Default 60 s; must exceed <see cref="HeartbeatInterval"/>.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first reconnection delay; each next one doubles, with jitter so that a server restart is not
    /// followed by every device reconnecting in the same second. Default 1 s.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnection delay. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take from the upgrade request to the server's hello. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long <see cref="NotifyDeviceClient.DisconnectAsync"/> waits for the server to answer the close
    /// handshake before dropping the socket. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long <see cref="NotifyDeviceClient.WaitForNotificationAsync(Func{ReceivedNotification, bool}?, CancellationToken)"/> and
    /// <see cref="NotifyDeviceClient.WaitForClearAsync"/> wait before they throw a <see cref="TimeoutException"/> (unless a
    /// call gives its own). Default 30 s: a notification held by quiet hours or a follow-up minutes away never arrives in
    /// time, and a program should say so rather than hang.</summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>False (default): <see cref="NotifyDeviceClient.ConnectAsync"/> makes one attempt and throws if it
    /// fails, so the app learns at once that the server is unreachable. True: it retries like a reconnection
    /// until it connects, the token is refused, or it is cancelled.</summary>
    public bool RetryInitialConnect { get; set; }

    /// <summary>How many notification ids (and cleared ids) are remembered to raise each only once, and to
    /// answer <see cref="NotifyDeviceClient.WaitForNotificationAsync(Func{ReceivedNotification, bool}?, CancellationToken)"/> for messages already arrived. Default 1024.</summary>
    public int DeduplicationCapacity { get; set; } = 1024;

    /// <summary>How many messages <see cref="NotifyDeviceClient.Notifications"/> and
    /// <see cref="NotifyDeviceClient.Clears"/> buffer for a slow reader; past it the oldest are dropped (events
    /// are not affected). Default 256.</summary>
    public int ChannelCapacity { get; set; } = 256;

    /// <summary>A server message larger than this closes the connection. Default 1 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Adjusts each socket before it connects (proxy, client certificate, extra headers). Default null.</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>Receives connection diagnostics (reconnections, skipped messages, failing event handlers).
    /// Default null: no logging.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>A copy, so that changing the options after the client was created has no effect.</summary>
    internal NotifyDeviceClientOptions Snapshot() => (NotifyDeviceClientOptions)MemberwiseClone();

    internal void Validate()
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be greater than zero.");
        }

        Positive(HeartbeatInterval, nameof(HeartbeatInterval));
        Positive(HeartbeatTimeout, nameof(HeartbeatTimeout));
        Positive(ReconnectBaseDelay, nameof(ReconnectBaseDelay));
        Positive(ReconnectMaxDelay, nameof(ReconnectMaxDelay));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(CloseTimeout, nameof(CloseTimeout));
        if (WaitTimeout <= TimeSpan.Zero && WaitTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(WaitTimeout), WaitTimeout, $"{nameof(WaitTimeout)} must be greater than zero (or Timeout.InfiniteTimeSpan).");
        if (HeartbeatTimeout <= HeartbeatInterval)
            throw new ArgumentOutOfRangeException(nameof(HeartbeatTimeout), HeartbeatTimeout,
                $"HeartbeatTimeout must exceed HeartbeatInterval ({HeartbeatInterval}), or every pause between pings would count as a dead connection.");
        if (ReconnectMaxDelay < ReconnectBaseDelay)
            throw new ArgumentOutOfRangeException(nameof(ReconnectMaxDelay), ReconnectMaxDelay,
                $"ReconnectMaxDelay must be at least ReconnectBaseDelay ({ReconnectBaseDelay}).");
        ArgumentOutOfRangeException.ThrowIfLessThan(DeduplicationCapacity, 1, nameof(DeduplicationCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ChannelCapacity, 1, nameof(ChannelCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 1024, nameof(MaxMessageBytes));
    }
}
