using MongoDB.Bson;
using MongoDB.Driver;

namespace Notify.Storage.MongoDb;

/// <summary>
/// The collections and their indexes, created at start-up (idempotently: creating an index that exists with the same
/// options does nothing). Each index names the queries in <see cref="MongoQueries"/> it serves.
/// </summary>
internal static class MongoIndexes
{
    public const string Users = "users";
    public const string Devices = "devices";
    public const string Notifications = "notifications";
    public const string Idempotency = "idempotency";
    public const string Timers = "timers";
    public const string Webhooks = "webhooks";
    public const string RuleVersions = "ruleVersions";

    /// <param name="Partial">Only documents matching this are indexed.</param>
    /// <param name="ExpireAfter">A TTL index: documents go this long after the indexed date.</param>
    public sealed record Spec(string Collection, string Name, BsonDocument Keys, bool Unique = false, BsonDocument? Partial = null,
        TimeSpan? ExpireAfter = null, bool Sparse = false)
    {
        public CreateIndexModel<BsonDocument> ToModel()
        {
            var options = new CreateIndexOptions<BsonDocument> { Name = Name, Unique = Unique ? true : null, ExpireAfter = ExpireAfter, Sparse = Sparse ? true : null };
            if (Partial is not null) options.PartialFilterExpression = Partial;
            return new CreateIndexModel<BsonDocument>(Keys, options);
        }
    }

    /// <summary>The command that changes an existing TTL index's expiry in place.</summary>
    public static BsonDocument ChangeTtl(Spec spec, TimeSpan expireAfter) => new()
    {
        ["collMod"] = spec.Collection,
        ["index"] = new BsonDocument { ["name"] = spec.Name, ["expireAfterSeconds"] = (long)expireAfter.TotalSeconds },
    };

    public static IReadOnlyList<Spec> All(TimeSpan idempotencyRetention) =>
    [
        // GetUser, UpsertUser, SetQuietHours, SetPreferences, ListUsers (both orders). Unique: one profile per (app, user).
        new(Users, "users_app_user", new BsonDocument { ["appId"] = 1, ["userId"] = 1 }, Unique: true),
        // FindDeviceByTokenHash (per request: token authentication). Unique: a token belongs to one device.
        new(Devices, "devices_token", new BsonDocument("tokenHash", 1), Unique: true),
        // GetDevices (per notify).
        new(Devices, "devices_user", new BsonDocument { ["appId"] = 1, ["userId"] = 1 }),
        // GetHeld, GetRecentNotifications (newest first: walked backwards).
        new(Notifications, "notifications_user", new BsonDocument { ["appId"] = 1, ["userId"] = 1, ["_id"] = 1 }),
        // FindOpenByCollapseKey; most notifications have no collapse key, so only those that do are indexed.
        new(Notifications, "notifications_collapse", new BsonDocument { ["appId"] = 1, ["userId"] = 1, ["collapseKey"] = 1 },
            Partial: new BsonDocument("collapseKey", new BsonDocument("$exists", true))),
        // GetUsersWithDeviceHolds; a hold is stored only while held, so this index stays small.
        new(Notifications, "notifications_holds", new BsonDocument { ["hold"] = 1, ["appId"] = 1, ["userId"] = 1 },
            Partial: new BsonDocument("hold", new BsonDocument("$exists", true))),
        // GetOpenInAppDeliveries (on every device connect).
        new(Notifications, "notifications_device_deliveries", new BsonDocument("deliveries.deviceId", 1)),
        // GetPendingSends (the dispatcher's restart recovery).
        new(Notifications, "notifications_pending_sends", new BsonDocument { ["deliveries.status"] = 1, ["deliveries.channel"] = 1 }),
        // FindIdempotency and the commit's claim. Unique: two nodes racing with one key cannot both take it.
        new(Idempotency, "idempotency_app_key", new BsonDocument { ["appId"] = 1, ["key"] = 1 }, Unique: true),
        // Keys are only looked at within the window; MongoDB's TTL monitor removes older ones (about once a minute).
        new(Idempotency, "idempotency_ttl", new BsonDocument("createdAt", 1), ExpireAfter: idempotencyRetention),
        // GetTimersDueBefore (earliest first).
        new(Timers, "timers_due", new BsonDocument("dueAt", 1)),
        // The claim of free timers (leaseOwner null, earliest first), and a node's renewal and release (leaseOwner = it).
        new(Timers, "timers_free", new BsonDocument { ["leaseOwner"] = 1, ["dueAt"] = 1 }),
        // The claim of timers whose lease ran out; sparse, because a free timer has no leaseUntil.
        new(Timers, "timers_lease_until", new BsonDocument("leaseUntil", 1), Sparse: true),
        // A commit's DeleteAllTimers.
        new(Timers, "timers_notification", new BsonDocument("notificationId", 1)),
        // GetDueWebhooks, GetNextWebhookDue; sparse, because a delivered event has no dueAt any more.
        new(Webhooks, "webhooks_due", new BsonDocument("dueAt", 1), Sparse: true),
    ];
}
