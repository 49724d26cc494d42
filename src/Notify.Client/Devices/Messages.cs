using System.Text.Json.Nodes;

namespace Notify.Client.Devices;

/// <summary>A notification pushed to this device over the realtime connection.</summary>
/// <remarks>The server re-sends every unacknowledged notification on each reconnect;
/// <see cref="NotifyDeviceClient"/> raises each id once. Acknowledge it with
/// <see cref="NotifyDeviceClient.AckAsync"/> when the user has seen it, so the other devices stop
/// showing it and the escalation stops.</remarks>
public sealed record ReceivedNotification
{
    /// <summary>The notification id, to acknowledge it and to match a later clear.</summary>
    public string Id { get; init; } = "";

    /// <summary>The category given by the app (<c>mention</c>).</summary>
    public string Category { get; init; } = "";

    /// <summary>The headline.</summary>
    public string? Title { get; init; }

    /// <summary>The text under the title.</summary>
    public string? Body { get; init; }

    /// <summary>The app's free-form data (<c>{ "threadId": "t9" }</c>).</summary>
    public JsonObject? Data { get; init; }

    /// <summary>How urgent it is.</summary>
    public Priority Priority { get; init; }

    /// <summary>When the server accepted it (which can be well before now, after a reconnect).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>After this instant it must no longer be shown; the server sends a clear with
    /// <see cref="ClearReason.Expired"/> too, but an offline device should check it itself.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>True when it arrives during the user's quiet hours under a rule that says <c>quietHours: silent</c>:
    /// show it without sound, vibration or banner.</summary>
    public bool Silent { get; init; }

    /// <summary>For a rule's <c>repeat</c>: which repeat this is (1, 2, …). A repeat of an id already shown is raised
    /// again, so the app can alert again; null for the first send.</summary>
    public int? Repeat { get; init; }
}

/// <summary>Why the server asks the device to remove a notification.</summary>
public enum ClearReason
{
    /// <summary>A reason this version of the SDK does not know; remove the notification all the same.</summary>
    Other,
    /// <summary><c>seen-elsewhere</c>: acknowledged on another of the user's devices.</summary>
    SeenElsewhere,
    /// <summary><c>expired</c>: its time to live ran out.</summary>
    Expired,
    /// <summary><c>dismissed</c>: dismissed (on this or another device).</summary>
    Dismissed,
    /// <summary><c>collapsed</c>: replaced by a newer notification with the same collapse key.</summary>
    Collapsed,
}

/// <summary>The server's request to remove a notification from the screen.</summary>
public sealed record ClearMessage
{
    /// <summary>The notification to remove.</summary>
    public required string NotificationId { get; init; }

    /// <summary>Why; <see cref="ClearReason.Other"/> for a reason newer than this SDK (see <see cref="ReasonText"/>).</summary>
    public ClearReason Reason { get; init; }

    /// <summary>The reason as sent (<c>seen-elsewhere</c>), for logs and for reasons newer than this SDK.</summary>
    public string? ReasonText { get; init; }

    internal static ClearReason ParseReason(string? text) => text switch
    {
        "seen-elsewhere" => ClearReason.SeenElsewhere,
        "expired" => ClearReason.Expired,
        "dismissed" => ClearReason.Dismissed,
        "collapsed" => ClearReason.Collapsed,
        _ => ClearReason.Other,
    };
}

/// <summary>An <c>error</c> message from the server about something this device sent (for example an invalid
/// state report). The connection stays open.</summary>
/// <param name="Code">The stable error code.</param>
/// <param name="Message">What was wrong and what to send instead.</param>
public sealed record ServerError(string Code, string Message);

/// <summary>Where the realtime connection stands.</summary>
public enum ConnectionState
{
    /// <summary>Not connected and not trying: before <see cref="NotifyDeviceClient.ConnectAsync"/>, after
    /// <see cref="NotifyDeviceClient.DisconnectAsync"/>, or after the server refused the device token.</summary>
    Disconnected,
    /// <summary>The first connection is being opened.</summary>
    Connecting,
    /// <summary>Open: the server's hello has arrived.</summary>
    Connected,
    /// <summary>The connection was lost; waiting for the next attempt or opening it.</summary>
    Reconnecting,
}

/// <summary>Why the realtime connection closed.</summary>
public enum DisconnectReason
{
    /// <summary><see cref="NotifyDeviceClient.DisconnectAsync"/> or dispose.</summary>
    UserRequested,
    /// <summary>The network or the socket failed.</summary>
    ConnectionLost,
    /// <summary>The server closed the connection (restart, deploy, its own heartbeat timeout).</summary>
    ClosedByServer,
    /// <summary>Nothing, not even a pong, arrived within <see cref="NotifyDeviceClientOptions.HeartbeatTimeout"/>.</summary>
    HeartbeatTimeout,
    /// <summary>The server refused the device token (401 or 403 on the upgrade): revoked, deleted or wrong.
    /// The client does not retry.</summary>
    Rejected,
    /// <summary>Reconnecting stopped on an error that is not a network failure, such as an exception thrown by
    /// <see cref="NotifyDeviceClientOptions.ConfigureWebSocket"/> (see the exception).</summary>
    Faulted,
}
