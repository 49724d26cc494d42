namespace Notify.Client;

/// <summary>How urgent a notification is (<c>low</c>, <c>normal</c>, <c>high</c>, <c>critical</c>).</summary>
/// <remarks>Rules select on it, and quiet hours only let through the priorities in the user's allow list.
/// When a notify call leaves it out, the matching rule's default applies, else <see cref="Normal"/>.</remarks>
public enum Priority
{
    /// <summary>Can wait; never worth waking anyone.</summary>
    Low,
    /// <summary>The default.</summary>
    Normal,
    /// <summary>Should reach the user soon.</summary>
    High,
    /// <summary>Typically allowed through quiet hours (when the user's allow list says so).</summary>
    Critical,
}

/// <summary>The way a delivery reaches a person (<c>inApp</c>, <c>push</c>, <c>email</c>).</summary>
public enum Channel
{
    /// <summary>Over the device's realtime connection (WebSocket or Server-Sent Events).</summary>
    InApp,
    /// <summary>Through FCM or APNs to the device's push token.</summary>
    Push,
    /// <summary>To the user's email address.</summary>
    Email,
}

/// <summary>The kind of device (<c>ios</c>, <c>android</c>, <c>web</c>, <c>desktop</c>, <c>watch</c>).</summary>
public enum Platform
{
    /// <summary>An iPhone or iPad.</summary>
    Ios,
    /// <summary>An Android phone or tablet.</summary>
    Android,
    /// <summary>A browser.</summary>
    Web,
    /// <summary>A desktop application.</summary>
    Desktop,
    /// <summary>A watch.</summary>
    Watch,
}

/// <summary>Whether the user is paying attention to a device (<c>active</c>, <c>idle</c>, <c>away</c>).</summary>
public enum Presence
{
    /// <summary>In use right now.</summary>
    Active,
    /// <summary>Unlocked but not touched for a while.</summary>
    Idle,
    /// <summary>Locked, asleep or put away.</summary>
    Away,
}

/// <summary>How a device reaches the network (<c>wifi</c>, <c>cellular</c>, <c>ethernet</c>, <c>none</c>).</summary>
public enum ConnectivityType
{
    /// <summary>Wi-Fi.</summary>
    Wifi,
    /// <summary>A mobile network.</summary>
    Cellular,
    /// <summary>A wired network.</summary>
    Ethernet,
    /// <summary>No network.</summary>
    None,
}

/// <summary>What the user did with a notification (<c>seen</c>, <c>opened</c>, <c>dismissed</c>).</summary>
/// <remarks>Any of them ends the escalation and clears the notification from the user's other devices.</remarks>
public enum AckAction
{
    /// <summary>Shown to the user and looked at.</summary>
    Seen,
    /// <summary>Tapped or clicked through.</summary>
    Opened,
    /// <summary>Swiped or closed without opening.</summary>
    Dismissed,
}

/// <summary>Where a notification stands.</summary>
/// <remarks><c>POST /v1/notify</c> answers with one of <see cref="Scheduled"/>, <see cref="Delivered"/>,
/// <see cref="Held"/>, <see cref="Suppressed"/> or <see cref="Failed"/>; the other values appear later, when
/// the notification is read back with <c>GET /v1/notifications/{id}</c>.</remarks>
public enum NotificationStatus
{
    /// <summary>Accepted; the chosen device is offline and gets it when it connects.</summary>
    Scheduled,
    /// <summary>Sent to a device; follow-up steps run until someone acknowledges it.</summary>
    Delivered,
    /// <summary>Held back (quiet hours or a deferral) until a stored time.</summary>
    Held,
    /// <summary>Recorded but never sent (for example a muted category).</summary>
    Suppressed,
    /// <summary>Acknowledged as seen.</summary>
    Seen,
    /// <summary>Acknowledged as opened.</summary>
    Opened,
    /// <summary>Acknowledged as dismissed.</summary>
    Dismissed,
    /// <summary>Its time to live ran out before anyone saw it; it is never shown late.</summary>
    Expired,
    /// <summary>Replaced by a newer notification with the same collapse key.</summary>
    Collapsed,
    /// <summary>No step of the rule could reach the user.</summary>
    Failed,
}

/// <summary>The state of one delivery: one notification to one device (or address) over one channel.</summary>
public enum DeliveryStatus
{
    /// <summary>Waiting for the device to connect.</summary>
    Pending,
    /// <summary>Written to the device's connection or handed to the push or email provider.</summary>
    Sent,
    /// <summary>Removed from the device because the notification was seen elsewhere, expired or collapsed.</summary>
    Cleared,
    /// <summary>Acknowledged on this device.</summary>
    Acknowledged,
    /// <summary>Never sent: expired or collapsed while the device was offline.</summary>
    Dropped,
    /// <summary>The provider refused it; the reason says why.</summary>
    Failed,
}
