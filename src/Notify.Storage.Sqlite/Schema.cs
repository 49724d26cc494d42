namespace Notify.Storage.Sqlite;

/// <summary>The tables. Times are Unix milliseconds (UTC); enums are their wire names.</summary>
internal static class Schema
{
    public const int Version = 5;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS users (
            app_id TEXT NOT NULL, id TEXT NOT NULL, email TEXT, time_zone TEXT NOT NULL, locale TEXT,
            created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, quiet_json TEXT, prefs_json TEXT,
            PRIMARY KEY (app_id, id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS devices (
            id TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, platform TEXT NOT NULL, name TEXT,
            push_json TEXT, token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, state_json TEXT);
        CREATE INDEX IF NOT EXISTS devices_user ON devices (app_id, user_id);
        CREATE TABLE IF NOT EXISTS notifications (
            id TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, category TEXT NOT NULL, title TEXT, body TEXT,
            data_json TEXT, priority TEXT NOT NULL, idempotency_key TEXT, collapse_key TEXT, created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL, rule_name TEXT NOT NULL, rule_version TEXT NOT NULL, status TEXT NOT NULL,
            step INTEGER NOT NULL, ack_at INTEGER, ack_by TEXT, response_json TEXT, hold_kind TEXT, hold_step INTEGER NOT NULL DEFAULT 0,
            trace_json TEXT);
        CREATE INDEX IF NOT EXISTS notifications_held ON notifications (app_id, user_id) WHERE status = 'held';
        CREATE INDEX IF NOT EXISTS notifications_user ON notifications (app_id, user_id, id);
        CREATE INDEX IF NOT EXISTS notifications_collapse ON notifications (app_id, user_id, collapse_key) WHERE collapse_key IS NOT NULL;
        CREATE TABLE IF NOT EXISTS idempotency (
            app_id TEXT NOT NULL, key TEXT NOT NULL, notification_id TEXT NOT NULL, created_at INTEGER NOT NULL,
            PRIMARY KEY (app_id, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS deliveries (
            id TEXT PRIMARY KEY, notification_id TEXT NOT NULL, step INTEGER NOT NULL, device_id TEXT, channel TEXT NOT NULL,
            status TEXT NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER, reason TEXT, silent INTEGER NOT NULL DEFAULT 0,
            attempt INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS deliveries_notification ON deliveries (notification_id);
        CREATE INDEX IF NOT EXISTS deliveries_open ON deliveries (device_id) WHERE status IN ('pending', 'sent') AND channel = 'inApp';
        CREATE TABLE IF NOT EXISTS trace (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, notification_id TEXT NOT NULL, entries_json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS trace_notification ON trace (notification_id);
        CREATE TABLE IF NOT EXISTS timers (
            id TEXT PRIMARY KEY, notification_id TEXT NOT NULL, kind TEXT NOT NULL, step INTEGER NOT NULL, due_at INTEGER NOT NULL,
            attempt INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until INTEGER);
        CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);
        CREATE INDEX IF NOT EXISTS timers_notification ON timers (notification_id);
        CREATE INDEX IF NOT EXISTS deliveries_outbox ON deliveries (created_at) WHERE status = 'pending' AND channel != 'inApp';
        CREATE TABLE IF NOT EXISTS attempts (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, notification_id TEXT NOT NULL, delivery_id TEXT NOT NULL, at INTEGER NOT NULL,
            provider TEXT NOT NULL, outcome TEXT NOT NULL, status INTEGER, reason TEXT, latency_ms REAL NOT NULL);
        CREATE INDEX IF NOT EXISTS attempts_notification ON attempts (notification_id);
        CREATE TABLE IF NOT EXISTS webhook_outbox (
            id TEXT PRIMARY KEY, app_id TEXT NOT NULL, type TEXT NOT NULL, payload_json TEXT NOT NULL, created_at INTEGER NOT NULL,
            due_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
        CREATE INDEX IF NOT EXISTS webhook_outbox_due ON webhook_outbox (due_at) WHERE due_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS rule_versions (
            version TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
        """ + TimerLeases + Outcomes;

    /// <summary>Training data for the response model (one row per device delivery), apart from the notification tables:
    /// written behind, never part of a notification's commit.</summary>
    public const string Outcomes = """
        CREATE TABLE IF NOT EXISTS outcomes (
            delivery_id TEXT PRIMARY KEY, notification_id TEXT NOT NULL, app_id TEXT NOT NULL, user_id TEXT NOT NULL,
            device_id TEXT NOT NULL, step INTEGER NOT NULL, decided_at INTEGER NOT NULL, wait_ms INTEGER, features_json TEXT NOT NULL,
            outcome TEXT, resolved_at INTEGER);
        CREATE INDEX IF NOT EXISTS outcomes_open ON outcomes (notification_id) WHERE outcome IS NULL;
        """;

    /// <summary>Indexes of the timer claim (<see cref="SqliteStore.ClaimTimersAsync"/>): free timers by due time, so claiming the
    /// next batch does not walk the rows other nodes already lease; leases by expiry, to find the ones that ran out; leases by
    /// owner, for a node's renewal and release.</summary>
    public const string TimerLeases = """
        CREATE INDEX IF NOT EXISTS timers_free ON timers (due_at) WHERE lease_owner IS NULL;
        CREATE INDEX IF NOT EXISTS timers_lease_until ON timers (lease_until) WHERE lease_owner IS NOT NULL;
        CREATE INDEX IF NOT EXISTS timers_lease_owner ON timers (lease_owner) WHERE lease_owner IS NOT NULL;
        """;

    /// <summary>Upgrades from each older version (PRAGMA user_version) to the next.</summary>
    public static readonly IReadOnlyDictionary<int, string> Upgrades = new Dictionary<int, string>
    {
        [1] = "ALTER TABLE users ADD COLUMN quiet_json TEXT; ALTER TABLE users ADD COLUMN prefs_json TEXT; " +
              "ALTER TABLE notifications ADD COLUMN hold_kind TEXT; ALTER TABLE notifications ADD COLUMN hold_step INTEGER NOT NULL DEFAULT 0; " +
              "ALTER TABLE timers ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0; " +
              "ALTER TABLE deliveries ADD COLUMN silent INTEGER NOT NULL DEFAULT 0; ALTER TABLE deliveries ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;",
        // 3: new tables (attempts, webhook_outbox, outcomes) and the deliveries_outbox index; CREATE ... IF NOT EXISTS adds them.
        [2] = Outcomes,
        // 4: timer leases (several nodes sharing one database file); existing timers start free.
        [3] = "ALTER TABLE timers ADD COLUMN lease_owner TEXT; ALTER TABLE timers ADD COLUMN lease_until INTEGER;",
        // 5: the trace lines of a notification's first decision are stored inline with it (one row fewer per notify);
        // later lines still go to the trace table. Older notifications keep all theirs there.
        [4] = "ALTER TABLE notifications ADD COLUMN trace_json TEXT;",
    };
}
