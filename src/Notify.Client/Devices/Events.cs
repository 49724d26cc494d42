using System.Net.WebSockets;

namespace Notify.Client.Devices;

/// <summary>Data of <see cref="NotifyDeviceClient.Connected"/>.</summary>
public sealed class ConnectedEventArgs(string deviceId, DateTimeOffset serverTime, bool isReconnect) : EventArgs
{
    /// <summary>The device id the server's hello named.</summary>
    public string DeviceId { get; } = deviceId;

    /// <summary>The server's clock at hello, to estimate the offset from the device's clock.</summary>
    public DateTimeOffset ServerTime { get; } = serverTime;

    /// <summary>False for the connection <see cref="NotifyDeviceClient.ConnectAsync"/> opened, true for an
    /// automatic reconnection (after which the server re-sends unacknowledged notifications).</summary>
    public bool IsReconnect { get; } = isReconnect;
}

/// <summary>Data of <see cref="NotifyDeviceClient.Disconnected"/>.</summary>
public sealed class DisconnectedEventArgs(DisconnectReason reason, bool willReconnect, Exception? exception = null,
    WebSocketCloseStatus? closeStatus = null, string? closeDescription = null) : EventArgs
{
    /// <summary>Why the connection closed.</summary>
    public DisconnectReason Reason { get; } = reason;

    /// <summary>True when the client is about to reconnect on its own; false when it stopped for good
    /// (<see cref="DisconnectReason.UserRequested"/>, <see cref="DisconnectReason.Rejected"/>,
    /// <see cref="DisconnectReason.Faulted"/>).</summary>
    public bool WillReconnect { get; } = willReconnect;

    /// <summary>The failure, if any (a <see cref="NotifyApiException"/> for <see cref="DisconnectReason.Rejected"/>).</summary>
    public Exception? Exception { get; } = exception;

    /// <summary>The close status the server sent, if it closed the connection.</summary>
    public WebSocketCloseStatus? CloseStatus { get; } = closeStatus;

    /// <summary>The close description the server sent, if any.</summary>
    public string? CloseDescription { get; } = closeDescription;
}

/// <summary>Data of <see cref="NotifyDeviceClient.Reconnecting"/>: the next attempt is about to be waited for.</summary>
public sealed class ReconnectingEventArgs(int attempt, TimeSpan delay, Exception? lastError) : EventArgs
{
    /// <summary>1 for the first retry after a failed attempt, then 2, 3, …</summary>
    public int Attempt { get; } = attempt;

    /// <summary>How long the client waits before the attempt (exponential with jitter, capped by
    /// <see cref="NotifyDeviceClientOptions.ReconnectMaxDelay"/>).</summary>
    public TimeSpan Delay { get; } = delay;

    /// <summary>Why the previous attempt failed.</summary>
    public Exception? LastError { get; } = lastError;
}

/// <summary>Data of <see cref="NotifyDeviceClient.NotificationReceived"/>.</summary>
public sealed class NotificationReceivedEventArgs(ReceivedNotification notification) : EventArgs
{
    /// <summary>The notification, raised once per id.</summary>
    public ReceivedNotification Notification { get; } = notification;
}

/// <summary>Data of <see cref="NotifyDeviceClient.Cleared"/>.</summary>
public sealed class ClearedEventArgs(ClearMessage clear) : EventArgs
{
    /// <summary>Which notification to remove, and why.</summary>
    public ClearMessage Clear { get; } = clear;
}

/// <summary>Data of <see cref="NotifyDeviceClient.Error"/>.</summary>
public sealed class ServerErrorEventArgs(ServerError error) : EventArgs
{
    /// <summary>The server's error message.</summary>
    public ServerError Error { get; } = error;
}
