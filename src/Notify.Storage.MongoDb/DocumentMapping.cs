using System.Text.Json;
using System.Text.Json.Nodes;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.QuietHours;
using Notify.Engine.Storage;
using Notify.Engine.Timers;

namespace Notify.Storage.MongoDb;

/// <summary>Engine records to stored documents and back.</summary>
internal static class DocumentMapping
{
    public static User ToUser(UserDoc d) => new(d.AppId, d.UserId, d.Email, d.TimeZone, d.Locale, d.CreatedAt, d.UpdatedAt)
    {
        QuietHours = FromJson<QuietHoursDocument>(d.QuietHours)?.ToSettings(out _) ?? QuietHoursSettings.None,
        Preferences = FromJson<UserPreferences>(d.Preferences) ?? UserPreferences.None,
    };

    public static DeviceDoc ToDoc(Device d) => new()
    {
        Id = d.Id, AppId = d.AppId, UserId = d.UserId, Platform = d.Platform, Name = d.Name, Push = d.Push, TokenHash = d.TokenHash,
        CreatedAt = d.CreatedAt,
    };

    public static Device ToDevice(DeviceDoc d) => new(d.Id, d.AppId, d.UserId, d.Platform, d.Name, d.Push, d.TokenHash, d.CreatedAt);

    public static NotificationDoc ToDoc(Notification n, string? response) => new()
    {
        Id = n.Id, AppId = n.AppId, UserId = n.UserId, Category = n.Category, Title = n.Title, Body = n.Body, Data = n.Data?.ToJsonString(),
        Priority = n.Priority, IdempotencyKey = n.IdempotencyKey, CollapseKey = n.CollapseKey, CreatedAt = n.CreatedAt, ExpiresAt = n.ExpiresAt,
        RuleName = n.RuleName, RuleVersion = n.RuleVersion, Status = n.Status, Step = n.Step, Hold = HoldOf(n), HoldStep = n.HoldStep,
        AckAt = n.AcknowledgedAt, AckBy = n.AcknowledgedBy, Response = response,
    };

    /// <summary>The hold is stored only while the notification is held, like the SQLite store's <c>hold_kind</c>.</summary>
    public static Engine.Decisions.HoldKind? HoldOf(Notification n) => n.Status == NotificationStatus.Held ? n.Hold : null;

    public static Notification ToNotification(NotificationDoc d) => new()
    {
        Id = d.Id, AppId = d.AppId, UserId = d.UserId, Category = d.Category, Title = d.Title, Body = d.Body,
        Data = d.Data is { } data ? JsonNode.Parse(data)!.AsObject() : null, Priority = d.Priority, IdempotencyKey = d.IdempotencyKey,
        CollapseKey = d.CollapseKey, CreatedAt = d.CreatedAt, ExpiresAt = d.ExpiresAt, RuleName = d.RuleName, RuleVersion = d.RuleVersion,
        Status = d.Status, Step = d.Step, Hold = d.Hold, HoldStep = d.HoldStep, AcknowledgedAt = d.AckAt, AcknowledgedBy = d.AckBy,
    };

    public static NotificationDetails ToDetails(NotificationDoc d) =>
        new(ToNotification(d), d.Deliveries.Select(x => ToDelivery(x, d.Id)).ToList(), d.Trace, d.Response) { Attempts = d.Attempts };

    public static DeliveryDoc ToDoc(Delivery d) => new()
    {
        Id = d.Id, Step = d.Step, DeviceId = d.DeviceId, Channel = d.Channel, Status = d.Status, CreatedAt = d.CreatedAt, SentAt = d.SentAt,
        Reason = d.Reason, Silent = d.Silent, Attempt = d.Attempt,
    };

    public static Delivery ToDelivery(DeliveryDoc d, string notificationId) =>
        new(d.Id, notificationId, d.Step, d.DeviceId, d.Channel, d.Status, d.CreatedAt, d.SentAt, d.Reason) { Silent = d.Silent, Attempt = d.Attempt };

    public static TimerDoc ToDoc(TimerRecord t) => new()
    {
        Id = t.Id, NotificationId = t.NotificationId, Kind = t.Kind, Step = t.Step, DueAt = t.DueAt, Attempt = t.Attempt,
    };

    /// <summary>Stored leased to the creating node when due within its claim window (it holds it in memory).</summary>
    public static TimerDoc ToDoc(TimerRecord t, TimerLease? lease)
    {
        var doc = ToDoc(t);
        if (lease is not null && t.DueAt < lease.DueBefore)
        {
            doc.LeaseOwner = lease.Owner;
            doc.LeaseUntil = lease.Until;
        }
        return doc;
    }

    public static TimerRecord ToTimer(TimerDoc d) => new(d.Id, d.NotificationId, d.Kind, d.Step, d.DueAt, d.Attempt);

    public static WebhookDoc ToDoc(Engine.Channels.WebhookEvent e) => new()
    {
        Id = e.Id, AppId = e.AppId, Type = e.Type, Payload = Engine.Channels.WebhookPayload.Serialize(e), CreatedAt = e.CreatedAt, DueAt = e.CreatedAt,
    };

    public static Engine.Channels.WebhookOutboxItem ToOutboxItem(WebhookDoc d) =>
        new(d.Id, d.AppId, d.Type, d.Payload, d.CreatedAt, d.DueAt ?? d.CreatedAt, d.Attempts);

    public static string? Json<T>(T? value) where T : class => value is null ? null : JsonSerializer.Serialize(value, EngineJson.Options);

    private static T? FromJson<T>(string? json) where T : class => json is null ? null : JsonSerializer.Deserialize<T>(json, EngineJson.Options);

    /// <summary>The deliveries a change inserts, with the same change's updates of them already applied (as the SQLite
    /// store applies its inserts before its updates).</summary>
    public static List<DeliveryDoc> NewDeliveries(NotificationChange change)
    {
        var docs = change.NewDeliveries.Select(ToDoc).ToList();
        foreach (var u in change.DeliveryUpdates)
            if (docs.Find(d => d.Id == u.DeliveryId) is { } doc)
            {
                doc.Status = u.Status;
                doc.SentAt = u.SentAt;
                doc.Reason = u.Reason ?? doc.Reason;
            }
        return docs;
    }
}
