using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Notify.Client.Devices;

namespace Notify.Client.Apps;

/// <summary>One event for one user: the body of <c>POST /v1/notify</c>.</summary>
/// <remarks>Which device and channel it reaches, and when, is decided by the server's rules from the
/// user's devices, presence, quiet hours and preferences; the response says what was decided.</remarks>
public sealed record NotifyRequest
{
    /// <summary>The app's own id for the user (see <see cref="NotifyAppClient.PutUserAsync"/>).</summary>
    public required string UserId { get; init; }

    /// <summary>What kind of event this is (<c>mention</c>, <c>payment-failed</c>); rules and user preferences
    /// select on it.</summary>
    public required string Category { get; init; }

    /// <summary>The headline shown to the user.</summary>
    public string? Title { get; init; }

    /// <summary>The text under the title.</summary>
    public string? Body { get; init; }

    /// <summary>Free-form data passed through to the device (for example <c>{ "threadId": "t9" }</c>).</summary>
    public JsonObject? Data { get; init; }

    /// <summary>Null lets the matching rule decide, else <see cref="Client.Priority.Normal"/>.</summary>
    public Priority? Priority { get; init; }

    /// <summary>Retrying with the same key within 24 hours returns the first response and sends nothing new.
    /// Use the id of the event in your system.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>How long the notification stays worth showing; past it, an undelivered or unseen notification
    /// expires and is never shown late. Sent as an ISO-8601 duration (<c>PT1H</c>). Null lets the rule decide.</summary>
    [JsonConverter(typeof(IsoDurationConverter))]
    public TimeSpan? Ttl { get; init; }

    /// <summary>A newer notification with the same key replaces an older one not yet seen (<c>thread-t9</c>).</summary>
    public string? CollapseKey { get; init; }
}

/// <summary>What <c>POST /v1/notify</c> decided.</summary>
public sealed record NotifyResponse
{
    /// <summary>The id to read the notification back with <see cref="NotifyAppClient.GetNotificationAsync"/>.</summary>
    public string NotificationId { get; init; } = "";

    /// <summary><see cref="NotificationStatus.Delivered"/>, <see cref="NotificationStatus.Scheduled"/>,
    /// <see cref="NotificationStatus.Held"/>, <see cref="NotificationStatus.Suppressed"/> or
    /// <see cref="NotificationStatus.Failed"/>.</summary>
    public NotificationStatus Status { get; init; }

    /// <summary>The device, channel and time chosen, with the reason; null when nothing was chosen.</summary>
    public NotifyDecision? Decision { get; init; }

    /// <summary>True when the server answered 200 to a repeated <see cref="NotifyRequest.IdempotencyKey"/>: this is
    /// the first call's response and nothing new was sent. Not part of the JSON body.</summary>
    [JsonIgnore]
    public bool IsReplay { get; init; }
}

/// <summary>Where and when the first step of a notification goes, and why.</summary>
public sealed record NotifyDecision
{
    /// <summary>The chosen device, when the channel targets one.</summary>
    public string? DeviceId { get; init; }

    /// <summary>The chosen channel.</summary>
    public Channel? Channel { get; init; }

    /// <summary>When it is (or was) delivered; later than now when held by quiet hours or a deferral.</summary>
    public DateTimeOffset? DeliverAt { get; init; }

    /// <summary>Why, in words (<c>attention: device d1 active 3s ago</c>).</summary>
    public string? Reason { get; init; }
}

/// <summary>A notification with every delivery and the decision trace: <c>GET /v1/notifications/{id}</c>.</summary>
public sealed record NotificationDetails
{
    /// <summary>The notification id.</summary>
    public string Id { get; init; } = "";

    /// <summary>The user it is for.</summary>
    public string UserId { get; init; } = "";

    /// <summary>The category given to notify.</summary>
    public string Category { get; init; } = "";

    /// <summary>The title given to notify.</summary>
    public string? Title { get; init; }

    /// <summary>The body given to notify.</summary>
    public string? Body { get; init; }

    /// <summary>The data given to notify.</summary>
    public JsonObject? Data { get; init; }

    /// <summary>The effective priority (given, or the rule's default).</summary>
    public Priority Priority { get; init; }

    /// <summary>Where it stands now.</summary>
    public NotificationStatus Status { get; init; }

    /// <summary>When the server accepted it.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its time to live runs out.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The escalation rule it follows.</summary>
    public string? RuleName { get; init; }

    /// <summary>The version of that rule; follow-up steps keep using it even if the rule changes.</summary>
    public string? RuleVersion { get; init; }

    /// <summary>The index of the last rule step that delivered, or -1 before any did.</summary>
    public int Step { get; init; } = -1;

    /// <summary>When a device acknowledged it.</summary>
    public DateTimeOffset? AcknowledgedAt { get; init; }

    /// <summary>The device that acknowledged it.</summary>
    public string? AcknowledgedBy { get; init; }

    /// <summary>The collapse key given to notify.</summary>
    public string? CollapseKey { get; init; }

    /// <summary>Every send, oldest first.</summary>
    public IReadOnlyList<NotificationDelivery> Deliveries { get; init; } = [];

    /// <summary>Why the engine did what it did, oldest first.</summary>
    public IReadOnlyList<TraceEntry> Trace { get; init; } = [];

    /// <summary>Every call to a push or email provider, oldest first.</summary>
    public IReadOnlyList<SendAttempt> Attempts { get; init; } = [];
}

/// <summary>One call to a provider (FCM, APNs, SMTP) for a delivery.</summary>
public sealed record SendAttempt
{
    /// <summary>The delivery it was for.</summary>
    public string DeliveryId { get; init; } = "";

    /// <summary>When the call ended.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary><c>fcm</c>, <c>apns</c> or <c>email</c>.</summary>
    public string Provider { get; init; } = "";

    /// <summary><c>sent</c>, <c>tokenInvalid</c>, <c>rejected</c>, <c>transient</c> or <c>misconfigured</c>.</summary>
    public string Outcome { get; init; } = "";

    /// <summary>The provider's status code (HTTP, SMTP), if it answered.</summary>
    public int? Status { get; init; }

    /// <summary>The provider's reason, or why no call was made.</summary>
    public string? Reason { get; init; }

    /// <summary>How long the call took, in milliseconds.</summary>
    public double LatencyMs { get; init; }
}

/// <summary>One send of a notification to one device (or the user's address) over one channel.</summary>
public sealed record NotificationDelivery
{
    /// <summary>The delivery id.</summary>
    public string Id { get; init; } = "";

    /// <summary>The rule step that made it.</summary>
    public int Step { get; init; }

    /// <summary>The target device; null for email.</summary>
    public string? DeviceId { get; init; }

    /// <summary>The channel used.</summary>
    public Channel Channel { get; init; }

    /// <summary>Where it stands.</summary>
    public DeliveryStatus Status { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it left the server, if it did.</summary>
    public DateTimeOffset? SentAt { get; init; }

    /// <summary>Why it was dropped, cleared or failed.</summary>
    public string? Reason { get; init; }
}

/// <summary>One line of a decision trace.</summary>
public sealed record TraceEntry
{
    /// <summary>When the engine wrote it.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The rule step it concerns, if any.</summary>
    public int? Step { get; init; }

    /// <summary>The candidate device it concerns, if any.</summary>
    public string? DeviceId { get; init; }

    /// <summary>What happened and why.</summary>
    public string Message { get; init; } = "";

    /// <summary>What kind of line it is: <c>rule</c>, <c>held</c>, <c>passedOver</c>, <c>ranked</c>, <c>chosen</c>, <c>sent</c>, …
    /// (docs/api.md lists them); <c>note</c> for anything else.</summary>
    public string Kind { get; init; } = "note";
}

/// <summary>The body of <c>PUT /v1/users/{userId}</c>: creates the user or replaces these fields.</summary>
public sealed record UserRequest
{
    /// <summary>Where email deliveries go; null means the user has no email channel.</summary>
    public string? Email { get; init; }

    /// <summary>An IANA time zone id (<c>Europe/Lisbon</c>); quiet hours are read in it. The server refuses
    /// anything else with the code <c>invalid-time-zone</c>.</summary>
    public required string TimeZone { get; init; }

    /// <summary>A BCP 47 language tag (<c>pt-PT</c>).</summary>
    public string? Locale { get; init; }
}

/// <summary>A user with their devices and each device's current state.</summary>
public sealed record NotifyUser
{
    /// <summary>The app's own id for the user.</summary>
    public string Id { get; init; } = "";

    /// <summary>The email address, if any.</summary>
    public string? Email { get; init; }

    /// <summary>The IANA time zone id.</summary>
    public string TimeZone { get; init; } = "";

    /// <summary>The language tag, if any.</summary>
    public string? Locale { get; init; }

    /// <summary>When the user was first put.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the user was last put.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The user's registered devices.</summary>
    public IReadOnlyList<UserDevice> Devices { get; init; } = [];
}

/// <summary>A registered device as the server knows it. The push token is never returned.</summary>
public sealed record UserDevice
{
    /// <summary>The device id.</summary>
    public string Id { get; init; } = "";

    /// <summary>The kind of device.</summary>
    public Platform Platform { get; init; }

    /// <summary>A display name (<c>Ana's iPhone</c>).</summary>
    public string? Name { get; init; }

    /// <summary>The push registration without its token, if the device has one.</summary>
    public PushInfo? Push { get; init; }

    /// <summary>When the device was registered, if the server says.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>What the server knows about the device right now.</summary>
    public DeviceState State { get; init; } = new();
}

/// <summary>A device's push registration as returned by the server (the token is a secret and stays there).</summary>
public sealed record PushInfo
{
    /// <summary><c>fcm</c> or <c>apns</c>.</summary>
    public string Provider { get; init; } = "";

    /// <summary>The APNs topic (bundle id), if any.</summary>
    public string? Topic { get; init; }

    /// <summary>The APNs environment (<c>production</c> or <c>development</c>), if any.</summary>
    public string? Environment { get; init; }
}
