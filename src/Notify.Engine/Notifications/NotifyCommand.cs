using System.Text.Json.Nodes;
using Notify.Engine.Model;

namespace Notify.Engine.Notifications;

/// <summary>A validated notify call.</summary>
public sealed record NotifyCommand(string UserId, string Category, string? Title, string? Body, JsonObject? Data,
    Priority? Priority, string? IdempotencyKey, TimeSpan? Ttl, string? CollapseKey);

/// <summary>The answer to a notify call; stored with the notification and replayed for its idempotency key.</summary>
public sealed record NotifyResult(string NotificationId, NotificationStatus Status, DecisionSummary? Decision);

/// <summary>Who got it first and why.</summary>
public sealed record DecisionSummary(string? DeviceId, Channel? Channel, DateTimeOffset? DeliverAt, string Reason);

/// <summary>What became of a notify call.</summary>
public abstract record AcceptOutcome
{
    public sealed record Accepted(NotifyResult Result, IReadOnlyList<TraceEntry> Trace) : AcceptOutcome;
    /// <summary>The idempotency key was used within 24 hours: the first response, verbatim.</summary>
    public sealed record Duplicate(string NotificationId, string ResponseJson) : AcceptOutcome;
    /// <summary>Refused with a stable problem code (<see cref="UserNotFound"/>, <see cref="UnknownCategory"/>); the host maps it to HTTP.</summary>
    public sealed record Refused(string Code, string Message) : AcceptOutcome;

    public const string UserNotFound = "user-not-found";
    public const string UnknownCategory = "unknown-category";
}

/// <summary>What became of an acknowledgement.</summary>
public abstract record AckOutcome
{
    public sealed record Done(string NotificationId, NotificationStatus Status) : AckOutcome;
    public sealed record NotFound : AckOutcome;
}
