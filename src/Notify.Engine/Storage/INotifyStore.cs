using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Timers;

namespace Notify.Engine.Storage;

/// <summary>
/// The storage port. One implementation per provider (SQLite embedded, MongoDB at scale); the same
/// contract tests run against each. Writes that belong together go through <see cref="CommitAsync"/>,
/// which applies them atomically and returns only once they are durable.
/// </summary>
public interface INotifyStore
{
    Task<User?> GetUserAsync(string appId, string userId, CancellationToken ct = default);
    /// <summary>Creates or replaces the user's profile (email, zone, locale); quiet hours and preferences are kept.</summary>
    Task UpsertUserAsync(User user, CancellationToken ct = default);
    /// <summary>Replaces the user's quiet hours. False when there is no such user.</summary>
    Task<bool> SetQuietHoursAsync(string appId, string userId, QuietHoursSettings quietHours, CancellationToken ct = default);
    /// <summary>Replaces the user's preferences. False when there is no such user.</summary>
    Task<bool> SetPreferencesAsync(string appId, string userId, UserPreferences preferences, CancellationToken ct = default);

    /// <summary>The user's devices with the state last written behind (null when never reported).</summary>
    Task<IReadOnlyList<StoredDevice>> GetDevicesAsync(string appId, string userId, CancellationToken ct = default);
    Task<StoredDevice?> GetDeviceAsync(string deviceId, CancellationToken ct = default);
    Task<Device?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken ct = default);
    Task AddDeviceAsync(Device device, CancellationToken ct = default);
    Task UpdateDeviceAsync(Device device, CancellationToken ct = default);
    /// <summary>Forgets the device (its token stops working at once). False when there was none.</summary>
    Task<bool> DeleteDeviceAsync(string deviceId, CancellationToken ct = default);
    /// <summary>Writes device states behind the in-memory tracker, many in one go.</summary>
    Task SaveDeviceStatesAsync(IReadOnlyCollection<KeyValuePair<string, DeviceState>> states, CancellationToken ct = default);

    /// <summary>Applies the changes atomically and durably. An insert whose idempotency key the app already
    /// used within the window is not applied; the result names the notification that holds the key.</summary>
    Task<CommitResult> CommitAsync(IReadOnlyList<NotificationChange> changes, CancellationToken ct = default);
    Task<NotificationDetails?> GetNotificationAsync(string notificationId, CancellationToken ct = default);
    /// <summary>The stored response of the notification that used this key since <paramref name="since"/>.</summary>
    Task<IdempotencyHit?> FindIdempotencyAsync(string appId, string key, DateTimeOffset since, CancellationToken ct = default);
    /// <summary>Notifications of the user with this collapse key that are not final yet.</summary>
    Task<IReadOnlyList<NotificationDetails>> FindOpenByCollapseKeyAsync(string appId, string userId, string collapseKey, CancellationToken ct = default);
    /// <summary>In-app deliveries to the device, pending or sent, of notifications that are not final and not expired at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<OpenDelivery>> GetOpenInAppDeliveriesAsync(string deviceId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>The user's held notifications (quiet hours, deferrals).</summary>
    Task<IReadOnlyList<NotificationDetails>> GetHeldAsync(string appId, string userId, CancellationToken ct = default);
    /// <summary>Users with a notification held until one of their devices is ready, to re-check on their reports.</summary>
    Task<IReadOnlyList<(string AppId, string UserId)>> GetUsersWithDeviceHoldsAsync(CancellationToken ct = default);

    /// <summary>Timers due before <paramref name="before"/>, earliest first, leased or not (for tools and tests; nodes claim).</summary>
    Task<IReadOnlyList<TimerRecord>> GetTimersDueBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct = default);

    /// <summary>Claims for <paramref name="owner"/> up to <paramref name="limit"/> timers due before <paramref name="dueBefore"/>
    /// that no node holds a live lease on (none, or one that ran out at or before <paramref name="now"/>), earliest first: their
    /// lease becomes (<paramref name="owner"/>, <paramref name="leaseUntil"/>) atomically, so two nodes claiming at once never
    /// get the same timer, and they are returned earliest first.</summary>
    Task<IReadOnlyList<TimerRecord>> ClaimTimersAsync(string owner, DateTimeOffset dueBefore, DateTimeOffset now, DateTimeOffset leaseUntil,
        int limit, CancellationToken ct = default);

    /// <summary>Extends to <paramref name="until"/> the leases <paramref name="owner"/> holds that end before
    /// <paramref name="expiringBefore"/>, in one update; the number renewed. Leases that last long enough are not written, so a
    /// renewal costs what is about to run out, not everything the node holds. A lease another node took over after it ran
    /// out is not the owner's any more and stays with that node.</summary>
    Task<int> RenewTimerLeasesAsync(string owner, DateTimeOffset expiringBefore, DateTimeOffset until, CancellationToken ct = default);

    /// <summary>Frees the leases <paramref name="owner"/> holds (all of them, or only <paramref name="timerIds"/>), so any node
    /// claims those timers on its next poll: at a graceful stop, or for a timer whose firing failed.</summary>
    Task<int> ReleaseTimerLeasesAsync(string owner, IReadOnlyCollection<string>? timerIds = null, CancellationToken ct = default);

    /// <summary>Push and email deliveries still pending for notifications that are open and not expired at
    /// <paramref name="now"/>: what the channel dispatcher sends after a restart.</summary>
    Task<IReadOnlyList<Channels.PendingSend>> GetPendingSendsAsync(DateTimeOffset now, int limit, CancellationToken ct = default);

    /// <summary>Webhook events due to be posted at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<Channels.WebhookOutboxItem>> GetDueWebhooksAsync(DateTimeOffset now, int limit, CancellationToken ct = default);
    /// <summary>Records a post of a webhook event: <paramref name="nextDueAt"/> null means done (delivered, or given up
    /// after the last attempt with <paramref name="lastError"/>).</summary>
    Task UpdateWebhookAsync(string id, int attempts, DateTimeOffset? nextDueAt, string? lastError, CancellationToken ct = default);
    /// <summary>The earliest due time of an undelivered webhook event, if any.</summary>
    Task<DateTimeOffset?> GetNextWebhookDueAsync(CancellationToken ct = default);

    /// <summary>Keeps a rule version's source so follow-ups of old notifications survive a restart.</summary>
    Task SaveRuleVersionAsync(string name, string version, string source, DateTimeOffset at, CancellationToken ct = default);
    Task<string?> GetRuleVersionSourceAsync(string version, CancellationToken ct = default);

    /// <summary>True when the store answers; for readiness.</summary>
    Task<bool> PingAsync(CancellationToken ct = default);
}

public sealed record StoredDevice(Device Device, DeviceState? State);

public sealed record IdempotencyHit(string NotificationId, string ResponseJson);

public sealed record OpenDelivery(Delivery Delivery, Notification Notification);

/// <param name="Skipped">Changes not applied because the notification's status was no longer the expected one.</param>
public sealed record CommitResult(string? DuplicateOfNotificationId, string? DuplicateResponseJson, IReadOnlySet<string>? Skipped = null)
{
    public static readonly CommitResult Applied = new(null, null);
    public bool IsDuplicate => DuplicateOfNotificationId is not null;
}

/// <summary>What happens to one notification in one commit.</summary>
public sealed class NotificationChange(string notificationId)
{
    public string NotificationId { get; } = notificationId;
    /// <summary>A new notification (with its idempotency key and the response to replay).</summary>
    public Notification? Insert { get; set; }
    /// <summary>For an insert with an idempotency key: a use of the key since this instant makes it a duplicate
    /// (<see cref="Notifications.DeliveryOptions.IdempotencyWindow"/> before now).</summary>
    public DateTimeOffset? IdempotentSince { get; set; }
    public string? ResponseJson { get; set; }
    /// <summary>The notification's new status, step and acknowledgement.</summary>
    public Notification? Update { get; set; }
    /// <summary>Apply this change only if the stored status is still this one (it was read outside the
    /// notification's lock, so another change may have won); otherwise the whole change is skipped.</summary>
    public NotificationStatus? ExpectedStatus { get; set; }
    public List<Delivery> NewDeliveries { get; } = [];
    public List<DeliveryUpdate> DeliveryUpdates { get; } = [];
    public List<TraceEntry> Trace { get; } = [];
    public List<TimerRecord> NewTimers { get; } = [];
    /// <summary>New timers due before <see cref="TimerLease.DueBefore"/> are stored leased to this node (which holds them in
    /// memory); later ones are stored free. Null: all are stored free.</summary>
    public TimerLease? NewTimersLease { get; set; }
    public List<string> DeletedTimers { get; } = [];
    /// <summary>The timer this change is the firing of: the change applies only if it deletes that timer's row, so when
    /// several nodes (or a node and a stale in-memory copy) fire the same timer, exactly one firing takes effect and the
    /// others are skipped whole (<see cref="CommitResult.Skipped"/>).</summary>
    public string? FiredTimer { get; set; }
    /// <summary>Deletes every timer of the notification (it is final).</summary>
    public bool DeleteAllTimers { get; set; }
    /// <summary>Provider calls made for its deliveries.</summary>
    public List<SendAttempt> Attempts { get; } = [];
    /// <summary>Delivery-status events for the app's webhook, put in the outbox with the change.</summary>
    public List<Channels.WebhookEvent> Events { get; } = [];
}

public sealed record DeliveryUpdate(string DeliveryId, DeliveryStatus Status, DateTimeOffset? SentAt, string? Reason);
