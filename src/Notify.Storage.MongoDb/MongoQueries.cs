using MongoDB.Bson;
using MongoDB.Driver;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Storage;

namespace Notify.Storage.MongoDb;

/// <summary>
/// Every filter, update, sort and projection the store sends, built here and nowhere else, so the tests can render
/// each through the driver and compare it with the BSON it must be. Each names the index it is meant to use
/// (<see cref="MongoIndexes"/>).
/// </summary>
internal static class MongoQueries
{
    private static FilterDefinitionBuilder<UserDoc> UserFilter => Builders<UserDoc>.Filter;
    private static FilterDefinitionBuilder<DeviceDoc> DeviceFilter => Builders<DeviceDoc>.Filter;
    private static FilterDefinitionBuilder<NotificationDoc> NoteFilter => Builders<NotificationDoc>.Filter;
    private static FilterDefinitionBuilder<DeliveryDoc> DeliveryFilter => Builders<DeliveryDoc>.Filter;
    private static FilterDefinitionBuilder<TimerDoc> TimerFilter => Builders<TimerDoc>.Filter;
    private static FilterDefinitionBuilder<WebhookDoc> WebhookFilter => Builders<WebhookDoc>.Filter;

    /// <summary>Not final: still being delivered, or waiting.</summary>
    public static readonly NotificationStatus[] Open = [NotificationStatus.Scheduled, NotificationStatus.Delivered, NotificationStatus.Held];

    // ---- users (users_app_user) ----

    public static FilterDefinition<UserDoc> User(string appId, string userId) =>
        UserFilter.Eq(u => u.AppId, appId) & UserFilter.Eq(u => u.UserId, userId);

    /// <summary>The profile; quiet hours and preferences are left as they are; createdAt only when the user is new.</summary>
    public static UpdateDefinition<UserDoc> UpsertUser(User user) => Builders<UserDoc>.Update
        .Set(u => u.Email, user.Email)
        .Set(u => u.TimeZone, user.TimeZone)
        .Set(u => u.Locale, user.Locale)
        .Set(u => u.UpdatedAt, user.UpdatedAt)
        .SetOnInsert(u => u.CreatedAt, user.CreatedAt);

    public static UpdateDefinition<UserDoc> SetQuietHours(string json) => Builders<UserDoc>.Update.Set(u => u.QuietHours, json);

    public static UpdateDefinition<UserDoc> SetPreferences(string json) => Builders<UserDoc>.Update.Set(u => u.Preferences, json);

    /// <summary>One app's users after a user id, or every app's after an (app, user) position.</summary>
    public static (FilterDefinition<UserDoc> Filter, SortDefinition<UserDoc> Sort) ListUsers(string? appId, string? afterAppId, string? after) =>
        appId is not null
            ? (UserFilter.Eq(u => u.AppId, appId) & UserFilter.Gt(u => u.UserId, after ?? ""), Builders<UserDoc>.Sort.Ascending(u => u.UserId))
            : (UserFilter.Or(UserFilter.Gt(u => u.AppId, afterAppId ?? ""),
                    UserFilter.Eq(u => u.AppId, afterAppId ?? "") & UserFilter.Gt(u => u.UserId, after ?? "")),
                Builders<UserDoc>.Sort.Ascending(u => u.AppId).Ascending(u => u.UserId));

    // ---- devices (_id, devices_token, devices_user) ----

    public static FilterDefinition<DeviceDoc> Device(string deviceId) => DeviceFilter.Eq(d => d.Id, deviceId);

    public static FilterDefinition<DeviceDoc> DevicesOf(string appId, string userId) =>
        DeviceFilter.Eq(d => d.AppId, appId) & DeviceFilter.Eq(d => d.UserId, userId);

    public static readonly SortDefinition<DeviceDoc> DeviceOrder = Builders<DeviceDoc>.Sort.Ascending(d => d.Id);

    public static FilterDefinition<DeviceDoc> DeviceByTokenHash(string tokenHash) => DeviceFilter.Eq(d => d.TokenHash, tokenHash);

    public static UpdateDefinition<DeviceDoc> UpdateDevice(Device d) => Builders<DeviceDoc>.Update
        .Set(x => x.Name, d.Name)
        .Set(x => x.Push, d.Push)
        .Set(x => x.TokenHash, d.TokenHash);

    public static UpdateDefinition<DeviceDoc> SaveState(DeviceState state) => Builders<DeviceDoc>.Update.Set(d => d.State, state);

    // ---- notifications ----

    public static FilterDefinition<NotificationDoc> Notification(string id) => NoteFilter.Eq(n => n.Id, id);

    /// <summary>notifications_collapse.</summary>
    public static FilterDefinition<NotificationDoc> OpenByCollapseKey(string appId, string userId, string collapseKey) =>
        NoteFilter.Eq(n => n.AppId, appId) & NoteFilter.Eq(n => n.UserId, userId) & NoteFilter.Eq(n => n.CollapseKey, collapseKey)
        & NoteFilter.In(n => n.Status, Open);

    /// <summary>notifications_device_deliveries (multikey on deliveries.deviceId).</summary>
    public static FilterDefinition<NotificationDoc> OpenInApp(string deviceId, DateTimeOffset now) =>
        NoteFilter.ElemMatch(n => n.Deliveries, DeliveryFilter.Eq(d => d.DeviceId, deviceId) & DeliveryFilter.Eq(d => d.Channel, Channel.InApp)
            & DeliveryFilter.In(d => d.Status, [DeliveryStatus.Pending, DeliveryStatus.Sent]))
        & NoteFilter.In(n => n.Status, Open) & NoteFilter.Gt(n => n.ExpiresAt, now);

    /// <summary>notifications_user.</summary>
    public static FilterDefinition<NotificationDoc> Held(string appId, string userId) =>
        NoteFilter.Eq(n => n.AppId, appId) & NoteFilter.Eq(n => n.UserId, userId) & NoteFilter.Eq(n => n.Status, NotificationStatus.Held);

    public static readonly SortDefinition<NotificationDoc> ById = Builders<NotificationDoc>.Sort.Ascending(n => n.Id);

    /// <summary>notifications_holds (partial: only held notifications have a hold).</summary>
    public static readonly FilterDefinition<NotificationDoc> DeviceHolds =
        NoteFilter.Eq(n => n.Hold, HoldKind.Device) & NoteFilter.Eq(n => n.Status, NotificationStatus.Held);

    public static readonly ProjectionDefinition<NotificationDoc> AppAndUser =
        Builders<NotificationDoc>.Projection.Include(n => n.AppId).Include(n => n.UserId).Exclude(n => n.Id);

    /// <summary>notifications_pending_sends (multikey on deliveries.status, deliveries.channel).</summary>
    public static FilterDefinition<NotificationDoc> PendingSends(DateTimeOffset now) =>
        NoteFilter.ElemMatch(n => n.Deliveries, DeliveryFilter.Eq(d => d.Status, DeliveryStatus.Pending) & DeliveryFilter.Ne(d => d.Channel, Channel.InApp))
        & NoteFilter.In(n => n.Status, [NotificationStatus.Scheduled, NotificationStatus.Delivered]) & NoteFilter.Gt(n => n.ExpiresAt, now);

    /// <summary>notifications_user, walked backwards (ids sort by creation time).</summary>
    public static (FilterDefinition<NotificationDoc> Filter, SortDefinition<NotificationDoc> Sort) Recent(string appId, string userId, string? before)
    {
        var filter = NoteFilter.Eq(n => n.AppId, appId) & NoteFilter.Eq(n => n.UserId, userId);
        if (before is not null) filter &= NoteFilter.Lt(n => n.Id, before);
        return (filter, Builders<NotificationDoc>.Sort.Descending(n => n.Id));
    }

    /// <summary>A listing needs the notification, not what happened to it.</summary>
    public static readonly ProjectionDefinition<NotificationDoc> HeadOnly = Builders<NotificationDoc>.Projection
        .Exclude(n => n.Deliveries).Exclude(n => n.Trace).Exclude(n => n.Attempts).Exclude(n => n.Response);

    public static readonly ProjectionDefinition<NotificationDoc> ResponseOnly = Builders<NotificationDoc>.Projection.Include(n => n.Response);

    /// <summary>
    /// The change to an existing notification as updates of its one document: the status (only if it is still the
    /// expected one: <paramref name="filter"/> then matches nothing), delivery updates through array filters, trace
    /// and attempts appended. New deliveries are pushed in the same update unless it also updates deliveries by array
    /// filter (MongoDB refuses both on one path in one update); then <paramref name="pushDeliveries"/> is the second.
    /// Null when the change does nothing to the document.
    /// </summary>
    public static UpdateDefinition<NotificationDoc>? ChangeNotification(NotificationChange change, out FilterDefinition<NotificationDoc> filter,
        out IReadOnlyList<ArrayFilterDefinition> arrayFilters, out UpdateDefinition<NotificationDoc>? pushDeliveries)
    {
        var u = Builders<NotificationDoc>.Update;
        filter = Notification(change.NotificationId);
        // As in the SQLite store, the expected status guards a status update; a change that only appends does not check it.
        if (change.Update is not null && change.ExpectedStatus is { } expected) filter &= NoteFilter.Eq(n => n.Status, expected);
        var updates = new List<UpdateDefinition<NotificationDoc>>();
        if (change.Update is { } n)
        {
            updates.Add(u.Set(x => x.Status, n.Status));
            updates.Add(u.Set(x => x.Step, n.Step));
            updates.Add(u.Set(x => x.AckAt, n.AcknowledgedAt));
            updates.Add(u.Set(x => x.AckBy, n.AcknowledgedBy));
            updates.Add(DocumentMapping.HoldOf(n) is { } hold ? u.Set(x => x.Hold, hold) : u.Unset(x => x.Hold));
            updates.Add(u.Set(x => x.HoldStep, n.HoldStep));
        }
        var inserted = change.NewDeliveries.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var filters = new List<ArrayFilterDefinition>();
        foreach (var d in change.DeliveryUpdates.Where(d => !inserted.Contains(d.DeliveryId)))
        {
            var name = "d" + filters.Count;
            updates.Add(u.Set<BsonValue>($"deliveries.$[{name}].status", Names.Of(d.Status)));
            updates.Add(u.Set<BsonValue>($"deliveries.$[{name}].sentAt", d.SentAt is { } sent ? new BsonDateTime(sent.ToUnixTimeMilliseconds()) : BsonNull.Value));
            if (d.Reason is not null) updates.Add(u.Set<BsonValue>($"deliveries.$[{name}].reason", d.Reason));
            filters.Add(new BsonDocumentArrayFilterDefinition<BsonDocument>(new BsonDocument($"{name}.id", d.DeliveryId)));
        }
        if (change.Trace.Count > 0) updates.Add(u.PushEach(x => x.Trace, change.Trace));
        if (change.Attempts.Count > 0) updates.Add(u.PushEach(x => x.Attempts, change.Attempts));
        pushDeliveries = null;
        if (change.NewDeliveries.Count > 0)
        {
            var push = u.PushEach(x => x.Deliveries, DocumentMapping.NewDeliveries(change));
            if (filters.Count == 0) updates.Add(push);
            else pushDeliveries = push;
        }
        arrayFilters = filters;
        return updates.Count == 0 ? null : u.Combine(updates);
    }

    // ---- idempotency (idempotency_app_key, idempotency_ttl) ----

    public static FilterDefinition<IdempotencyDoc> IdempotencyKey(string appId, string key) =>
        Builders<IdempotencyDoc>.Filter.Eq(i => i.AppId, appId) & Builders<IdempotencyDoc>.Filter.Eq(i => i.Key, key);

    public static FilterDefinition<IdempotencyDoc> IdempotencyUsedSince(string appId, string key, DateTimeOffset since) =>
        IdempotencyKey(appId, key) & Builders<IdempotencyDoc>.Filter.Gte(i => i.CreatedAt, since);

    /// <summary>Takes the key for a notification (upsert: replaces a use older than the window).</summary>
    public static UpdateDefinition<IdempotencyDoc> ClaimIdempotency(string notificationId, DateTimeOffset at) => Builders<IdempotencyDoc>.Update
        .Set(i => i.NotificationId, notificationId)
        .Set(i => i.CreatedAt, at);

    // ---- timers (timers_due, timers_notification) ----

    public static FilterDefinition<TimerDoc> TimersDueBefore(DateTimeOffset before) => TimerFilter.Lt(t => t.DueAt, before);

    public static readonly SortDefinition<TimerDoc> EarliestFirst = Builders<TimerDoc>.Sort.Ascending(t => t.DueAt);

    public static FilterDefinition<TimerDoc> TimersOf(string notificationId) => TimerFilter.Eq(t => t.NotificationId, notificationId);

    public static FilterDefinition<TimerDoc> Timers(IEnumerable<string> ids) => TimerFilter.In(t => t.Id, ids);

    // ---- timer leases (timers_free, timers_lease_until) ----
    // A free timer has no leaseOwner, leaseUntil or claim (a release unsets them): indexed as null in timers_free, absent from the
    // sparse timers_lease_until.

    /// <summary>Free timers due before <paramref name="before"/> (timers_free: equality on leaseOwner, then dueAt in order), so a
    /// claim walks only free rows, never the ones other nodes already lease.</summary>
    public static FilterDefinition<TimerDoc> FreeTimersDueBefore(DateTimeOffset before) =>
        TimerFilter.Eq(t => t.LeaseOwner, null) & TimerFilter.Lt(t => t.DueAt, before);

    /// <summary>Leased timers due before <paramref name="before"/> whose lease ran out by <paramref name="now"/> (timers_lease_until:
    /// only expired leases are walked, normally none).</summary>
    public static FilterDefinition<TimerDoc> ExpiredLeasesDueBefore(DateTimeOffset before, DateTimeOffset now) =>
        TimerFilter.Lte(t => t.LeaseUntil, now) & TimerFilter.Lt(t => t.DueAt, before);

    /// <summary>Names the index of a claim's read: for the expired leases the planner could otherwise pick timers_due for the sort and
    /// walk every leased timer in the window.</summary>
    public static FindOptions UseIndex(string name) => new() { Hint = name };

    /// <summary>The claim's update filter: of the candidates, those still without a live lease when the update reaches them (each
    /// document is checked and changed atomically, so of two nodes claiming the same candidate only one matches it).</summary>
    public static FilterDefinition<TimerDoc> Claimable(IEnumerable<string> ids, DateTimeOffset now) =>
        TimerFilter.In(t => t.Id, ids) & TimerFilter.Or(TimerFilter.Eq(t => t.LeaseOwner, null), TimerFilter.Lte(t => t.LeaseUntil, now));

    /// <summary>Leases a timer to <paramref name="owner"/>, marked with this claim's <paramref name="token"/> to find what it won.</summary>
    public static UpdateDefinition<TimerDoc> Claim(string owner, DateTimeOffset until, string token) => Builders<TimerDoc>.Update
        .Set(t => t.LeaseOwner, owner)
        .Set(t => t.LeaseUntil, until)
        .Set(t => t.Claim, token);

    /// <summary>Of the candidates (_id), those this claim won.</summary>
    public static FilterDefinition<TimerDoc> ClaimedBy(IEnumerable<string> ids, string token) =>
        TimerFilter.In(t => t.Id, ids) & TimerFilter.Eq(t => t.Claim, token);

    /// <summary>Every lease <paramref name="owner"/> holds (timers_free's first key), for renewal and release.</summary>
    public static FilterDefinition<TimerDoc> LeasedTo(string owner) => TimerFilter.Eq(t => t.LeaseOwner, owner);

    /// <summary>Some of the leases <paramref name="owner"/> holds (_id).</summary>
    public static FilterDefinition<TimerDoc> LeasedTo(string owner, IEnumerable<string> ids) =>
        TimerFilter.In(t => t.Id, ids) & TimerFilter.Eq(t => t.LeaseOwner, owner);

    /// <summary>The leases <paramref name="owner"/> holds that end before <paramref name="before"/>: those a renewal extends.</summary>
    public static FilterDefinition<TimerDoc> LeasedToEndingBefore(string owner, DateTimeOffset before) =>
        TimerFilter.Eq(t => t.LeaseOwner, owner) & TimerFilter.Lt(t => t.LeaseUntil, before);

    public static UpdateDefinition<TimerDoc> RenewLease(DateTimeOffset until) => Builders<TimerDoc>.Update.Set(t => t.LeaseUntil, until);

    public static readonly UpdateDefinition<TimerDoc> ReleaseLease = Builders<TimerDoc>.Update
        .Unset(t => t.LeaseOwner)
        .Unset(t => t.LeaseUntil)
        .Unset(t => t.Claim);

    // ---- webhook outbox (webhooks_due, sparse: done events have no dueAt) ----

    public static FilterDefinition<WebhookDoc> WebhooksDue(DateTimeOffset now) => WebhookFilter.Lte(w => w.DueAt, now);

    public static readonly SortDefinition<WebhookDoc> OldestDueFirst = Builders<WebhookDoc>.Sort.Ascending(w => w.DueAt).Ascending(w => w.Id);

    public static readonly FilterDefinition<WebhookDoc> WebhooksPending = WebhookFilter.Exists(w => w.DueAt);

    public static FilterDefinition<WebhookDoc> Webhook(string id) => WebhookFilter.Eq(w => w.Id, id);

    public static UpdateDefinition<WebhookDoc> RecordPost(int attempts, DateTimeOffset? nextDueAt, string? lastError)
    {
        var u = Builders<WebhookDoc>.Update;
        return u.Combine(
            u.Set(w => w.Attempts, attempts),
            nextDueAt is { } due ? u.Set(w => w.DueAt, due) : u.Unset(w => w.DueAt),
            lastError is not null ? u.Set(w => w.LastError, lastError) : u.Unset(w => w.LastError));
    }

    // ---- rule versions (_id) ----

    public static FilterDefinition<RuleVersionDoc> RuleVersion(string version) => Builders<RuleVersionDoc>.Filter.Eq(r => r.Id, version);

    /// <summary>Kept as first saved: a version is a hash of its source, so a second save has nothing new.</summary>
    public static UpdateDefinition<RuleVersionDoc> SaveRuleVersion(string name, string source, DateTimeOffset at) => Builders<RuleVersionDoc>.Update
        .SetOnInsert(r => r.Name, name)
        .SetOnInsert(r => r.Source, source)
        .SetOnInsert(r => r.CreatedAt, at);
}
