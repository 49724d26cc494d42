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
/// <param name="Kind">What kind of line it is, for programs (tests, the console); <paramref name="Message"/> is for people.</param>
public sealed record TraceEntry(DateTimeOffset At, int? Step, string? DeviceId, string Message, TraceKind Kind = TraceKind.Note);

/// <summary>What a trace line records. Stable names (<c>passedOver</c>, <c>chosen</c>, …): assert these, not the English.</summary>
public enum TraceKind
{
    /// <summary>Anything else (older traces have no kind).</summary>
    Note,
    /// <summary>Which rule (and version) serves the notification.</summary>
    Rule,
    /// <summary>The user muted the category: nothing is sent.</summary>
    Suppressed,
    /// <summary>Quiet hours are on but do not hold it (allowed priority, <c>silent</c>, <c>ignore</c>).</summary>
    QuietHours,
    /// <summary>Held: quiet hours, a deferral, or until a device is ready.</summary>
    Held,
    /// <summary>An alternative whose <c>when</c> is false (or failed).</summary>
    Skipped,
    /// <summary>A step, or a device within a step, that cannot apply.</summary>
    PassedOver,
    /// <summary>Devices of a deferred step that are ready.</summary>
    Ready,
    /// <summary>A candidate that ranks below the chosen one.</summary>
    Ranked,
    /// <summary>The step and device(s) chosen.</summary>
    Chosen,
    /// <summary>How long the chosen step waits (a learned wait).</summary>
    Wait,
    /// <summary>Why the notification is decided again (follow-up, repeat, end of a hold, a device report, a settings change).</summary>
    Redecided,
    /// <summary>A delivery was sent (or accepted by a provider).</summary>
    Sent,
    /// <summary>A provider call failed for good.</summary>
    Failed,
    /// <summary>Seen, opened or dismissed on a device: follow-ups cancelled.</summary>
    Acknowledged,
    /// <summary>The TTL ended before anyone saw it.</summary>
    Expired,
    /// <summary>Replaced by a newer notification with the same collapse key.</summary>
    Collapsed,
    /// <summary>No step could reach the user.</summary>
    NoStep,
}

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
