using System.Text.Json.Nodes;

namespace Notify.Engine.Model;

/// <summary>One event for one user, as accepted by <c>POST /v1/notify</c>, and where it stands.</summary>
public sealed record Notification
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public required string Category { get; init; }
    public string? Title { get; init; }
    public string? Body { get; init; }
    public JsonObject? Data { get; init; }
    public required Priority Priority { get; init; }
    public string? IdempotencyKey { get; init; }
    public string? CollapseKey { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    /// <summary>The rule the notification started with; follow-ups use this version even if the rule changes.</summary>
    public required string RuleName { get; init; }
    public required string RuleVersion { get; init; }
    public required NotificationStatus Status { get; init; }
    /// <summary>The index of the last step that delivered, or -1 before any did.</summary>
    public int Step { get; init; } = -1;
    /// <summary>While <see cref="Status"/> is <see cref="NotificationStatus.Held"/>: why it waits, and for which step.</summary>
    public Decisions.HoldKind? Hold { get; init; }
    public int HoldStep { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    public string? AcknowledgedBy { get; init; }

    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;
}

/// <summary>One send of a notification to one device (or the user's address) over one channel.</summary>
public sealed record Delivery(string Id, string NotificationId, int Step, string? DeviceId, Channel Channel,
    DeliveryStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? SentAt, string? Reason)
{
    /// <summary>Sent without interrupting (quiet hours, <c>quietHours: silent</c>); a re-send on reconnect stays silent.</summary>
    public bool Silent { get; init; }

    /// <summary>Which repeat of the last step this is (0 for the first send).</summary>
    public int Attempt { get; init; }
}

/// <summary>One line of a decision trace: why the engine did what it did.</summary>
/// <param name="Step">The rule step it concerns, if any.</param>
/// <param name="DeviceId">The candidate device it concerns, if any.</param>
public sealed record TraceEntry(DateTimeOffset At, int? Step, string? DeviceId, string Message);

/// <summary>A notification with everything that happened to it.</summary>
public sealed record NotificationDetails(Notification Notification, IReadOnlyList<Delivery> Deliveries,
    IReadOnlyList<TraceEntry> Trace, string? ResponseJson)
{
    /// <summary>Every call to a push or email provider for its deliveries, oldest first.</summary>
    public IReadOnlyList<SendAttempt> Attempts { get; init; } = [];
}

/// <summary>One call to a provider (FCM, APNs, SMTP) for one delivery, as it ended.</summary>
/// <param name="Provider"><c>fcm</c>, <c>apns</c> or <c>email</c>.</param>
/// <param name="Status">The provider's status code (HTTP, SMTP), null when no reply came (timeout, open circuit).</param>
/// <param name="Reason">The provider's reason, or why no call was made.</param>
/// <param name="Latency">How long the call took.</param>
public sealed record SendAttempt(string DeliveryId, DateTimeOffset At, string Provider, Channels.SendOutcome Outcome, int? Status,
    string? Reason, TimeSpan Latency);
