using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Driver;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using static Notify.Storage.MongoDb.DocumentMapping;
using Q = Notify.Storage.MongoDb.MongoQueries;

namespace Notify.Storage.MongoDb;

/// <summary>
/// The storage port on MongoDB, for several nodes sharing one store. A notification is one document (deliveries, trace
/// and attempts embedded); a commit also touches timers, the webhook outbox and idempotency keys, so every commit is
/// one multi-document transaction with majority write and read concern (a replica set is required). Indexes are
/// created at start-up and again on the next call if that failed. When MongoDB cannot be reached, every call fails
/// within <see cref="MongoOptions.ServerSelectionTimeout"/> with a <see cref="StoreUnavailableException"/> naming
/// MongoDB and its address; nothing remembers the failure, so the next call after the server is back succeeds.
/// </summary>
public sealed partial class MongoStore : INotifyStore, IStoreBrowser, IDisposable
{
    private readonly MongoClient _client;
    private readonly MongoOptions _options;
    private readonly ILogger<MongoStore> _logger;
    private readonly IMongoDatabase _db;
    private readonly IMongoCollection<UserDoc> _users;
    private readonly IMongoCollection<DeviceDoc> _devices;
    private readonly IMongoCollection<DeviceDoc> _deviceStates;
    private readonly IMongoCollection<NotificationDoc> _notifications;
    private readonly IMongoCollection<IdempotencyDoc> _idempotency;
    private readonly IMongoCollection<TimerDoc> _timers;
    private readonly IMongoCollection<WebhookDoc> _webhooks;
    private readonly IMongoCollection<RuleVersionDoc> _ruleVersions;
    private readonly Lock _indexGate = new();
    private Task? _indexes;

    public MongoStore(MongoOptions options, ILogger<MongoStore> logger)
    {
        BsonMaps.Register();
        _options = options;
        _logger = logger;
        var url = MongoUrl.Create(options.ConnectionString);
        // Hosts only: the connection string may carry credentials, which must never reach a message or a log.
        Address = string.Join(",", url.Servers.Select(s => s.ToString()));
        var settings = MongoClientSettings.FromUrl(url);
        settings.ServerSelectionTimeout = options.ServerSelectionTimeout;
        if (settings.ConnectTimeout > options.ServerSelectionTimeout) settings.ConnectTimeout = options.ServerSelectionTimeout;
        _client = new MongoClient(settings);
        // Majority write concern for everything whose loss matters: users, devices, notifications, outbox, rule versions.
        _db = _client.GetDatabase(options.Database, new MongoDatabaseSettings { WriteConcern = WriteConcern.WMajority });
        _users = _db.GetCollection<UserDoc>(MongoIndexes.Users);
        _devices = _db.GetCollection<DeviceDoc>(MongoIndexes.Devices);
        // Device state is written behind from memory and rebuilt by the next report: one acknowledgement is enough.
        _deviceStates = _devices.WithWriteConcern(WriteConcern.W1);
        _notifications = _db.GetCollection<NotificationDoc>(MongoIndexes.Notifications);
        _idempotency = _db.GetCollection<IdempotencyDoc>(MongoIndexes.Idempotency);
        _timers = _db.GetCollection<TimerDoc>(MongoIndexes.Timers);
        _webhooks = _db.GetCollection<WebhookDoc>(MongoIndexes.Webhooks);
        _ruleVersions = _db.GetCollection<RuleVersionDoc>(MongoIndexes.RuleVersions);
        _ = EnsureIndexesAsync();
    }

    /// <summary>The servers of the connection string (host:port, comma-separated), without credentials.</summary>
    public string Address { get; }

    // ---- users and devices ----

    public Task<User?> GetUserAsync(string appId, string userId, CancellationToken ct = default) => Run(async t =>
        await _users.Find(Q.User(appId, userId)).FirstOrDefaultAsync(t) is { } d ? ToUser(d) : null, ct);

    public Task UpsertUserAsync(User user, CancellationToken ct = default) => Run(t =>
        _users.UpdateOneAsync(Q.User(user.AppId, user.Id), Q.UpsertUser(user), new UpdateOptions { IsUpsert = true }, t), ct);

    public Task<bool> SetQuietHoursAsync(string appId, string userId, QuietHoursSettings quietHours, CancellationToken ct = default) => Run(async t =>
        (await _users.UpdateOneAsync(Q.User(appId, userId), Q.SetQuietHours(Json(QuietHoursDocument.From(quietHours))!), cancellationToken: t)).MatchedCount > 0, ct);

    public Task<bool> SetPreferencesAsync(string appId, string userId, UserPreferences preferences, CancellationToken ct = default) => Run(async t =>
        (await _users.UpdateOneAsync(Q.User(appId, userId), Q.SetPreferences(Json(preferences)!), cancellationToken: t)).MatchedCount > 0, ct);

    public Task<IReadOnlyList<StoredDevice>> GetDevicesAsync(string appId, string userId, CancellationToken ct = default) => Run<IReadOnlyList<StoredDevice>>(async t =>
        (await _devices.Find(Q.DevicesOf(appId, userId)).Sort(Q.DeviceOrder).ToListAsync(t)).Select(d => new StoredDevice(ToDevice(d), d.State)).ToList(), ct);

    public Task<StoredDevice?> GetDeviceAsync(string deviceId, CancellationToken ct = default) => Run(async t =>
        await _devices.Find(Q.Device(deviceId)).FirstOrDefaultAsync(t) is { } d ? new StoredDevice(ToDevice(d), d.State) : null, ct);

    public Task<Device?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken ct = default) => Run(async t =>
        await _devices.Find(Q.DeviceByTokenHash(tokenHash)).FirstOrDefaultAsync(t) is { } d ? ToDevice(d) : null, ct);

    public Task AddDeviceAsync(Device device, CancellationToken ct = default) => Run(t => _devices.InsertOneAsync(ToDoc(device), cancellationToken: t), ct);

    public Task UpdateDeviceAsync(Device device, CancellationToken ct = default) => Run(t =>
        _devices.UpdateOneAsync(Q.Device(device.Id), Q.UpdateDevice(device), cancellationToken: t), ct);

    public Task<bool> DeleteDeviceAsync(string deviceId, CancellationToken ct = default) => Run(async t =>
        (await _devices.DeleteOneAsync(Q.Device(deviceId), t)).DeletedCount > 0, ct);

    public Task SaveDeviceStatesAsync(IReadOnlyCollection<KeyValuePair<string, DeviceState>> states, CancellationToken ct = default) => Run(async t =>
    {
        if (states.Count == 0) return;
        var writes = states.Select(s => new UpdateOneModel<DeviceDoc>(Q.Device(s.Key), Q.SaveState(s.Value))).ToList();
        await _deviceStates.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = false }, t);
    }, ct);

    // ---- notifications ----

    public Task<NotificationDetails?> GetNotificationAsync(string notificationId, CancellationToken ct = default) => Run(async t =>
        await _notifications.Find(Q.Notification(notificationId)).FirstOrDefaultAsync(t) is { } d ? ToDetails(d) : null, ct);

    public Task<IdempotencyHit?> FindIdempotencyAsync(string appId, string key, DateTimeOffset since, CancellationToken ct = default) => Run(async t =>
    {
        if (await _idempotency.Find(Q.IdempotencyUsedSince(appId, key, since)).FirstOrDefaultAsync(t) is not { } used) return null;
        var response = await _notifications.Find(Q.Notification(used.NotificationId)).Project<NotificationDoc>(Q.ResponseOnly).FirstOrDefaultAsync(t);
        return response is null ? null : new IdempotencyHit(used.NotificationId, response.Response ?? "{}");
    }, ct);

    public Task<IReadOnlyList<NotificationDetails>> FindOpenByCollapseKeyAsync(string appId, string userId, string collapseKey, CancellationToken ct = default) =>
        Run<IReadOnlyList<NotificationDetails>>(async t =>
            (await _notifications.Find(Q.OpenByCollapseKey(appId, userId, collapseKey)).Sort(Q.ById).ToListAsync(t)).Select(ToDetails).ToList(), ct);

    public Task<IReadOnlyList<OpenDelivery>> GetOpenInAppDeliveriesAsync(string deviceId, DateTimeOffset now, CancellationToken ct = default) =>
        Run<IReadOnlyList<OpenDelivery>>(async t =>
        {
            var docs = await _notifications.Find(Q.OpenInApp(deviceId, now)).ToListAsync(t);
            return docs.SelectMany(n => n.Deliveries
                    .Where(d => d.DeviceId == deviceId && d.Channel == Channel.InApp && d.Status is DeliveryStatus.Pending or DeliveryStatus.Sent)
                    .Select(d => new OpenDelivery(ToDelivery(d, n.Id), ToNotification(n))))
                .OrderBy(o => o.Delivery.Id, StringComparer.Ordinal).ToList();
        }, ct);

    public Task<IReadOnlyList<NotificationDetails>> GetHeldAsync(string appId, string userId, CancellationToken ct = default) =>
        Run<IReadOnlyList<NotificationDetails>>(async t =>
            (await _notifications.Find(Q.Held(appId, userId)).Sort(Q.ById).ToListAsync(t)).Select(ToDetails).ToList(), ct);

    public Task<IReadOnlyList<(string AppId, string UserId)>> GetUsersWithDeviceHoldsAsync(CancellationToken ct = default) =>
        Run<IReadOnlyList<(string, string)>>(async t =>
            (await _notifications.Find(Q.DeviceHolds).Project<NotificationDoc>(Q.AppAndUser).ToListAsync(t))
                .Select(n => (n.AppId, n.UserId)).Distinct().ToList(), ct);

    public Task<IReadOnlyList<TimerRecord>> GetTimersDueBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct = default) =>
        Run<IReadOnlyList<TimerRecord>>(async t =>
            (await _timers.Find(Q.TimersDueBefore(before)).Sort(Q.EarliestFirst).Limit(limit).ToListAsync(t)).Select(ToTimer).ToList(), ct);

    public Task<IReadOnlyList<PendingSend>> GetPendingSendsAsync(DateTimeOffset now, int limit, CancellationToken ct = default) =>
        Run<IReadOnlyList<PendingSend>>(async t =>
        {
            var docs = await _notifications.Find(Q.PendingSends(now)).Sort(Q.ById).ToListAsync(t);
            return docs.SelectMany(n => n.Deliveries.Where(d => d.Status == DeliveryStatus.Pending && d.Channel != Channel.InApp)
                    .Select(d => (d.CreatedAt, Send: new PendingSend(n.Id, d.Id))))
                .OrderBy(p => p.CreatedAt).Take(limit).Select(p => p.Send).ToList();
        }, ct);

    public Task<IReadOnlyList<WebhookOutboxItem>> GetDueWebhooksAsync(DateTimeOffset now, int limit, CancellationToken ct = default) =>
        Run<IReadOnlyList<WebhookOutboxItem>>(async t =>
            (await _webhooks.Find(Q.WebhooksDue(now)).Sort(Q.OldestDueFirst).Limit(limit).ToListAsync(t)).Select(ToOutboxItem).ToList(), ct);

    public Task UpdateWebhookAsync(string id, int attempts, DateTimeOffset? nextDueAt, string? lastError, CancellationToken ct = default) => Run(t =>
        _webhooks.UpdateOneAsync(Q.Webhook(id), Q.RecordPost(attempts, nextDueAt, lastError), cancellationToken: t), ct);

    public Task<DateTimeOffset?> GetNextWebhookDueAsync(CancellationToken ct = default) => Run(async t =>
        (await _webhooks.Find(Q.WebhooksPending).Sort(Q.OldestDueFirst).Limit(1).FirstOrDefaultAsync(t))?.DueAt, ct);

    public Task SaveRuleVersionAsync(string name, string version, string source, DateTimeOffset at, CancellationToken ct = default) => Run(t =>
        _ruleVersions.UpdateOneAsync(Q.RuleVersion(version), Q.SaveRuleVersion(name, source, at), new UpdateOptions { IsUpsert = true }, t), ct);

    public Task<string?> GetRuleVersionSourceAsync(string version, CancellationToken ct = default) => Run(async t =>
        (await _ruleVersions.Find(Q.RuleVersion(version)).FirstOrDefaultAsync(t))?.Source, ct);

    public Task<bool> PingAsync(CancellationToken ct = default) => Run(async t =>
    {
        var reply = await _db.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: t);
        return reply.GetValue("ok", 0).ToDouble() == 1;
    }, ct, ensureIndexes: false);

    // ---- timer leases (several nodes sharing timers) ----

    /// <summary>
    /// A batch claim in three round trips whatever the batch size: read the earliest candidates (free ones on timers_free, expired
    /// leases on timers_lease_until), lease those still claimable with one <c>updateMany</c> marked with a fresh token, then read
    /// back what carries the token. Each document is matched and changed atomically, so when two nodes race for a candidate only
    /// one update matches it and only that node reads it back; the other simply claims fewer. Find-and-modify would be as safe
    /// but one round trip per timer, and a full window is thousands of timers.
    /// </summary>
    public Task<IReadOnlyList<TimerRecord>> ClaimTimersAsync(string owner, DateTimeOffset dueBefore, DateTimeOffset now, DateTimeOffset leaseUntil,
        int limit, CancellationToken ct = default) => Run<IReadOnlyList<TimerRecord>>(async t =>
    {
        var free = await _timers.Find(Q.FreeTimersDueBefore(dueBefore), Q.UseIndex("timers_free")).Sort(Q.EarliestFirst).Limit(limit).ToListAsync(t);
        var expired = await _timers.Find(Q.ExpiredLeasesDueBefore(dueBefore, now), Q.UseIndex("timers_lease_until")).Sort(Q.EarliestFirst).Limit(limit).ToListAsync(t);
        var candidates = free.Concat(expired).OrderBy(d => d.DueAt).Take(limit).Select(d => d.Id).ToList();
        if (candidates.Count == 0) return [];
        var token = Guid.NewGuid().ToString("N");
        await _timers.UpdateManyAsync(Q.Claimable(candidates, now), Q.Claim(owner, leaseUntil, token), cancellationToken: t);
        var won = await _timers.Find(Q.ClaimedBy(candidates, token)).ToListAsync(t);
        return won.OrderBy(d => d.DueAt).Select(ToTimer).ToList();
    }, ct);

    public Task<int> RenewTimerLeasesAsync(string owner, DateTimeOffset expiringBefore, DateTimeOffset until, CancellationToken ct = default) => Run(async t =>
        (int)(await _timers.UpdateManyAsync(Q.LeasedToEndingBefore(owner, expiringBefore), Q.RenewLease(until), cancellationToken: t)).MatchedCount, ct);

    public Task<int> ReleaseTimerLeasesAsync(string owner, IReadOnlyCollection<string>? timerIds = null, CancellationToken ct = default) => Run(async t =>
        (int)(await _timers.UpdateManyAsync(timerIds is null ? Q.LeasedTo(owner) : Q.LeasedTo(owner, timerIds), Q.ReleaseLease,
            cancellationToken: t)).ModifiedCount, ct);

    public void Dispose() => _client.Dispose();
}
