using System.Text.Json.Nodes;
using Notify.Engine.Model;

namespace Notify.Engine.Notifications;

/// <summary>The in-app channel: whatever holds the devices' realtime connections (this process, or Pushpin).</summary>
public interface IRealtimeSender
{
    /// <summary>True when the device holds a connection that <see cref="SendAsync"/> reaches.</summary>
    bool IsConnected(string deviceId);

    /// <summary>Sends to every connection of the device; false when it has none.</summary>
    /// <param name="eventId">The id SSE clients resume from (<c>Last-Event-ID</c>), if the message has one.</param>
    ValueTask<bool> SendAsync(string deviceId, ServerMessage message, string? eventId = null, CancellationToken ct = default);
}

/// <summary>A message from the server to a device (realtime contract in docs/api.md).</summary>
public abstract record ServerMessage([property: System.Text.Json.Serialization.JsonPropertyOrder(-1)] string Type);

public sealed record NotificationMessage(NotificationPayload Notification) : ServerMessage("notification");

/// <summary>What a device shows. <see cref="ExpiresAt"/> lets the SDK drop it if it is shown late.</summary>
/// <param name="Silent">True during quiet hours under <c>quietHours: silent</c>: show it without sound or banner.</param>
/// <param name="Repeat">For the rule's <c>repeat</c>: which repeat this is, so the SDK alerts again for an id it already has.</param>
public sealed record NotificationPayload(string Id, string Category, string? Title, string? Body, JsonObject? Data,
    Priority Priority, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, bool? Silent = null, int? Repeat = null)
{
    public static NotificationPayload From(Notification n, bool silent = false, int attempt = 0) =>
        new(n.Id, n.Category, n.Title, n.Body, n.Data, n.Priority, n.CreatedAt, n.ExpiresAt, silent ? true : null, attempt > 0 ? attempt : null);
}

/// <summary>Remove a notification: <c>seen-elsewhere</c>, <c>dismissed</c>, <c>expired</c> or <c>collapsed</c>.</summary>
public sealed record ClearMessage(string NotificationId, string Reason) : ServerMessage("clear");
