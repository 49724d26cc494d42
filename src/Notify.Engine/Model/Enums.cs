namespace Notify.Engine.Model;

/// <summary>How urgent a notification is. Rules use it in conditions; quiet hours let only the
/// priorities in the user's allow list through.</summary>
public enum Priority { Low, Normal, High, Critical }

/// <summary>The way a delivery reaches a person.</summary>
public enum Channel { InApp, Push, Email }

/// <summary>Whether the user is paying attention to a device, as the device reports it.</summary>
public enum Presence { Active, Idle, Away }

/// <summary>The kind of device; rules select on it (<c>device.platform in ['ios','android']</c>).</summary>
public enum Platform { Ios, Android, Web, Desktop, Watch }

/// <summary>How a device reaches the network.</summary>
public enum ConnectivityType { Wifi, Cellular, Ethernet, None }

/// <summary>What the user did with a notification; any of them stops the escalation chain.</summary>
public enum AckAction { Seen, Opened, Dismissed }

/// <summary>The life of a notification.</summary>
public enum NotificationStatus
{
    /// <summary>Accepted; the chosen device is offline and gets it when it connects.</summary>
    Scheduled,
    /// <summary>Sent to a device; follow-ups run until someone sees it.</summary>
    Delivered,
    /// <summary>Held back (quiet hours or a deferral) until a stored time.</summary>
    Held,
    /// <summary>Recorded but never sent (a muted category).</summary>
    Suppressed,
    Seen,
    Opened,
    Dismissed,
    /// <summary>Its TTL ran out before anyone saw it; never shown after this.</summary>
    Expired,
    /// <summary>Replaced by a newer notification with the same collapse key.</summary>
    Collapsed,
    /// <summary>No step of the rule could reach the user.</summary>
    Failed,
}

/// <summary>State of one delivery (one notification to one device or address over one channel).</summary>
public enum DeliveryStatus
{
    /// <summary>Waiting for the device to connect.</summary>
    Pending,
    /// <summary>Written to the device's connection (or handed to the provider).</summary>
    Sent,
    /// <summary>Removed from the device because the notification was seen elsewhere, expired or collapsed.</summary>
    Cleared,
    /// <summary>Acknowledged on this device.</summary>
    Acknowledged,
    /// <summary>Never sent: expired or collapsed while the device was offline.</summary>
    Dropped,
    Failed,
}

public static class NotificationStatusExtensions
{
    /// <summary>True when nothing more will be sent for the notification.</summary>
    public static bool IsFinal(this NotificationStatus status) => status is NotificationStatus.Seen
        or NotificationStatus.Opened or NotificationStatus.Dismissed or NotificationStatus.Expired
        or NotificationStatus.Collapsed or NotificationStatus.Suppressed or NotificationStatus.Failed;

    public static NotificationStatus ToStatus(this AckAction action) => action switch
    {
        AckAction.Seen => NotificationStatus.Seen,
        AckAction.Opened => NotificationStatus.Opened,
        _ => NotificationStatus.Dismissed,
    };
}
