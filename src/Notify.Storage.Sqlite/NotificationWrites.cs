using System.Text.Json;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Storage;
using static Notify.Storage.Sqlite.SqliteStore;

namespace Notify.Storage.Sqlite;

/// <summary>Applies a commit of notification changes inside the writer's transaction.</summary>
internal static class NotificationWrites
{
    public static CommitResult Apply(SqliteWriter.Batch b, IReadOnlyList<NotificationChange> changes)
    {
        HashSet<string>? skipped = null;
        foreach (var change in changes)
        {
            // A firing applies only if it removes its timer: another node (or process) that fired it first wins.
            if (change.FiredTimer is { } fired && b.Execute("DELETE FROM timers WHERE id=$1", fired) == 0)
            {
                (skipped ??= []).Add(change.NotificationId);
                continue;
            }
            if (change.Update is { } u)
            {
                var updated = b.Execute("UPDATE notifications SET status=$2, step=$3, ack_at=$4, ack_by=$5, hold_kind=$7, hold_step=$8 WHERE id=$1 AND ($6 IS NULL OR status=$6)",
                    u.Id, Names.Of(u.Status), u.Step, u.AcknowledgedAt is { } at ? Ms(at) : null, u.AcknowledgedBy,
                    change.ExpectedStatus is { } expected ? Names.Of(expected) : null, HoldName(u), u.HoldStep);
                if (updated == 0 && change.ExpectedStatus is not null)
                {
                    (skipped ??= []).Add(change.NotificationId);
                    continue;
                }
            }
            if (change.Insert is { } n)
            {
                if (n.IdempotencyKey is { } key)
                {
                    var since = Ms(change.IdempotentSince ?? n.CreatedAt.AddHours(-24));
                    var existing = b.Scalar("SELECT notification_id FROM idempotency WHERE app_id=$1 AND key=$2 AND created_at >= $3", n.AppId, key, since) as string;
                    if (existing is not null)
                    {
                        var response = b.Scalar("SELECT response_json FROM notifications WHERE id=$1", existing) as string;
                        return new CommitResult(existing, response ?? "{}");
                    }
                    b.Execute("INSERT OR REPLACE INTO idempotency (app_id, key, notification_id, created_at) VALUES ($1,$2,$3,$4)",
                        n.AppId, key, n.Id, Ms(n.CreatedAt));
                }
                // The first decision's trace goes inline (trace_json): one row fewer per notify than a trace row.
                b.Execute("INSERT INTO notifications (id, app_id, user_id, category, title, body, data_json, priority, idempotency_key, collapse_key, " +
                    "created_at, expires_at, rule_name, rule_version, status, step, ack_at, ack_by, response_json, hold_kind, hold_step, trace_json) " +
                    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)",
                    n.Id, n.AppId, n.UserId, n.Category, n.Title, n.Body, n.Data?.ToJsonString(), Names.Of(n.Priority), n.IdempotencyKey,
                    n.CollapseKey, Ms(n.CreatedAt), Ms(n.ExpiresAt), n.RuleName, n.RuleVersion, Names.Of(n.Status), n.Step,
                    n.AcknowledgedAt is { } a ? Ms(a) : null, n.AcknowledgedBy, change.ResponseJson, HoldName(n), n.HoldStep,
                    change.Trace.Count > 0 ? JsonSerializer.Serialize(change.Trace, EngineJson.Options) : null);
            }
            foreach (var d in change.NewDeliveries)
                b.Execute("INSERT INTO deliveries (id, notification_id, step, device_id, channel, status, created_at, sent_at, reason, silent, attempt) " +
                    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                    d.Id, d.NotificationId, d.Step, d.DeviceId, Names.Of(d.Channel), Names.Of(d.Status), Ms(d.CreatedAt), d.SentAt is { } s ? Ms(s) : null, d.Reason,
                    d.Silent ? 1 : 0, d.Attempt);
            foreach (var d in change.DeliveryUpdates)
                b.Execute("UPDATE deliveries SET status=$2, sent_at=$3, reason=COALESCE($4, reason) WHERE id=$1",
                    d.DeliveryId, Names.Of(d.Status), d.SentAt is { } s ? Ms(s) : null, d.Reason);
            if (change.Trace.Count > 0 && change.Insert is null)
                b.Execute("INSERT INTO trace (notification_id, entries_json) VALUES ($1,$2)", change.NotificationId,
                    JsonSerializer.Serialize(change.Trace, EngineJson.Options));
            if (change.DeleteAllTimers) b.Execute("DELETE FROM timers WHERE notification_id=$1", change.NotificationId);
            foreach (var id in change.DeletedTimers) b.Execute("DELETE FROM timers WHERE id=$1", id);
            foreach (var a in change.Attempts)
                b.Execute("INSERT INTO attempts (notification_id, delivery_id, at, provider, outcome, status, reason, latency_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                    change.NotificationId, a.DeliveryId, Ms(a.At), a.Provider, Names.Of(a.Outcome), a.Status, a.Reason, a.Latency.TotalMilliseconds);
            foreach (var e in change.Events)
                b.Execute("INSERT INTO webhook_outbox (id, app_id, type, payload_json, created_at, due_at) VALUES ($1,$2,$3,$4,$5,$5)",
                    e.Id, e.AppId, e.Type, WebhookPayload.Serialize(e), Ms(e.CreatedAt));
            if (!change.DeleteAllTimers)
                foreach (var t in change.NewTimers)
                {
                    // Due within the creating node's claim window: stored leased to it, as it holds it in memory.
                    var lease = change.NewTimersLease is { } l && t.DueAt < l.DueBefore ? l : null;
                    b.Execute("INSERT INTO timers (id, notification_id, kind, step, due_at, attempt, lease_owner, lease_until) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                        t.Id, t.NotificationId, t.Kind.ToString(), t.Step, Ms(t.DueAt), t.Attempt, lease?.Owner, lease is null ? null : Ms(lease.Until));
                }
        }
        return skipped is null ? CommitResult.Applied : new CommitResult(null, null, skipped);
    }

    private static string? HoldName(Notification n) => n.Status == NotificationStatus.Held && n.Hold is { } hold ? Names.Of(hold) : null;
}
