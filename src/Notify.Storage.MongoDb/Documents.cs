using MongoDB.Bson;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Timers;

namespace Notify.Storage.MongoDb;

// The stored shapes, one class per collection (the engine's value records — device state, push registration, trace
// entries, send attempts — are embedded as they are, through their own class maps). Element names and serializers are
// set in BsonMaps, never inferred. Times are BSON dates (milliseconds, like the engine's clock); enums are their wire names.

/// <summary><c>users</c>: one per (app, user); unique index <c>users_app_user</c>.</summary>
internal sealed class UserDoc
{
    public ObjectId Id { get; set; }
    public string AppId { get; set; } = "";
    public string UserId { get; set; } = "";
    public string? Email { get; set; }
    public string TimeZone { get; set; } = "";
    public string? Locale { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>The quiet hours in their API form (JSON), read whole and never queried.</summary>
    public string? QuietHours { get; set; }
    /// <summary>The preferences in their API form (JSON), read whole and never queried.</summary>
    public string? Preferences { get; set; }
}

/// <summary><c>devices</c>: keyed by device id; unique index on the token hash.</summary>
internal sealed class DeviceDoc
{
    public string Id { get; set; } = "";
    public string AppId { get; set; } = "";
    public string UserId { get; set; } = "";
    public Platform Platform { get; set; }
    public string? Name { get; set; }
    public PushRegistration? Push { get; set; }
    public string TokenHash { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Written behind from memory; absent until the device first reports.</summary>
    public DeviceState? State { get; set; }
}

/// <summary><c>notifications</c>: one document per notification with its deliveries, trace and provider attempts
/// embedded, so a notification is read in one round trip and most of a commit is one update of one document.</summary>
internal sealed class NotificationDoc
{
    public string Id { get; set; } = "";
    public string AppId { get; set; } = "";
    public string UserId { get; set; } = "";
    public string Category { get; set; } = "";
    public string? Title { get; set; }
    public string? Body { get; set; }
    /// <summary>The app's <c>data</c> object as JSON text: kept byte for byte (any key, any number), never queried.</summary>
    public string? Data { get; set; }
    public Priority Priority { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? CollapseKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public string RuleName { get; set; } = "";
    public string RuleVersion { get; set; } = "";
    public NotificationStatus Status { get; set; }
    public int Step { get; set; }
    /// <summary>Present only while held; the <c>notifications_holds</c> index is partial on it.</summary>
    public HoldKind? Hold { get; set; }
    public int HoldStep { get; set; }
    public DateTimeOffset? AckAt { get; set; }
    public string? AckBy { get; set; }
    /// <summary>The 202 body, replayed for a duplicate idempotency key.</summary>
    public string? Response { get; set; }
    public List<DeliveryDoc> Deliveries { get; set; } = [];
    public List<TraceEntry> Trace { get; set; } = [];
    public List<SendAttempt> Attempts { get; set; } = [];
}

/// <summary>One delivery, embedded in its notification (its notification id is the parent's).</summary>
internal sealed class DeliveryDoc
{
    public string Id { get; set; } = "";
    public int Step { get; set; }
    public string? DeviceId { get; set; }
    public Channel Channel { get; set; }
    public DeliveryStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? Reason { get; set; }
    public bool Silent { get; set; }
    public int Attempt { get; set; }
}

/// <summary><c>idempotency</c>: the last notification that used an app's key; unique on (appId, key), removed by a TTL index.</summary>
internal sealed class IdempotencyDoc
{
    public ObjectId Id { get; set; }
    public string AppId { get; set; } = "";
    public string Key { get; set; } = "";
    public string NotificationId { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary><c>timers</c>: a durable timer, with the fields of a node's lease on it.</summary>
internal sealed class TimerDoc
{
    public string Id { get; set; } = "";
    public string NotificationId { get; set; } = "";
    public TimerKind Kind { get; set; }
    public int Step { get; set; }
    public DateTimeOffset DueAt { get; set; }
    public int Attempt { get; set; }
    /// <summary>The node working on the timer, until <see cref="LeaseUntil"/>; absent when free.</summary>
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    /// <summary>A random token of the claim that took the lease: how a batch claim finds which candidates it won.</summary>
    public string? Claim { get; set; }
}

/// <summary><c>webhooks</c>: the webhook outbox. <see cref="DueAt"/> is removed once the event is done.</summary>
internal sealed class WebhookDoc
{
    public string Id { get; set; } = "";
    public string AppId { get; set; } = "";
    public string Type { get; set; } = "";
    public string Payload { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DueAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
}

/// <summary><c>ruleVersions</c>: keyed by version (a hash of the source), kept forever.</summary>
internal sealed class RuleVersionDoc
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Source { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}
