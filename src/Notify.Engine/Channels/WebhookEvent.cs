using System.Text.Json.Nodes;

namespace Notify.Engine.Channels;

/// <summary>
/// A delivery-status event for an app's webhook: written to the durable outbox in the same commit as the change it
/// reports, then posted (signed, retried with backoff) by the webhook dispatcher.
/// </summary>
/// <param name="Type">One of <see cref="WebhookEventTypes"/>.</param>
/// <param name="Data">The event's fields: notificationId, userId, category, status, and per type the delivery, device,
/// channel, step, action or reason.</param>
public sealed record WebhookEvent(string Id, string AppId, string Type, DateTimeOffset CreatedAt, JsonObject Data);

/// <summary>The event types an app's webhook receives.</summary>
public static class WebhookEventTypes
{
    /// <summary>A delivery reached a device's connection or was accepted by a provider (FCM, APNs, SMTP).</summary>
    public const string Delivered = "notification.delivered";
    /// <summary>Someone saw, opened or dismissed the notification on one of their devices; the chain stopped.</summary>
    public const string Seen = "notification.seen";
    /// <summary>Unseen after a step's wait (or the step failed): a later step was taken.</summary>
    public const string Escalated = "notification.escalated";
    /// <summary>A delivery failed for good (a dead token, a rejected message), or no step could reach the user.</summary>
    public const string Failed = "notification.failed";
    /// <summary>The TTL ended before anyone saw it.</summary>
    public const string Expired = "notification.expired";

    public static readonly IReadOnlyList<string> All = [Delivered, Seen, Escalated, Failed, Expired];
}

/// <summary>An event waiting in the outbox: when to post it next and how many posts failed so far.</summary>
public sealed record WebhookOutboxItem(string Id, string AppId, string Type, string PayloadJson, DateTimeOffset CreatedAt,
    DateTimeOffset DueAt, int Attempts);

/// <summary>A push or email delivery waiting to be sent (the dispatcher's durable queue is these rows).</summary>
public sealed record PendingSend(string NotificationId, string DeliveryId);

/// <summary>The JSON body an app's webhook receives (documented in docs/channels.md).</summary>
public static class WebhookPayload
{
    /// <summary>In the API's JSON: instants to the millisecond as the API writes them ("2026-11-27T09:00:00.012+00:00",
    /// not seven decimals), and no "+" escaped as "\u002B".</summary>
    public static string Serialize(WebhookEvent e) => new JsonObject
    {
        ["id"] = e.Id,
        ["type"] = e.Type,
        ["createdAt"] = JsonValue.Create(ToMilliseconds(e.CreatedAt)),
        ["appId"] = e.AppId,
        ["data"] = e.Data.DeepClone(),
    }.ToJsonString(Notifications.EngineJson.Options);

    private static DateTimeOffset ToMilliseconds(DateTimeOffset at) => new(at.Ticks - at.Ticks % TimeSpan.TicksPerMillisecond, at.Offset);
}
