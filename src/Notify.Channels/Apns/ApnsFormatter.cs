using System.Text.Encodings.Web;
using System.Text.Json;
using Notify.Engine.Channels;
using Notify.Engine.Model;

namespace Notify.Channels.Apns;

/// <summary>What one push becomes on the wire, before authentication and addressing.</summary>
/// <param name="PushType"><c>apns-push-type</c>: <c>alert</c>, or <c>background</c> for a clear.</param>
/// <param name="Priority"><c>apns-priority</c>: 10 (now) or 5 (when power allows; required for background).</param>
/// <param name="Expiration"><c>apns-expiration</c>, epoch seconds.</param>
/// <param name="CollapseId"><c>apns-collapse-id</c>, if any.</param>
/// <param name="Payload">The JSON body, UTF-8.</param>
internal sealed record ApnsRequestParts(string PushType, int Priority, long Expiration, string? CollapseId, byte[] Payload);

/// <summary>Turns a <see cref="PushMessage"/> into APNs headers and payload. Pure, so tests read it directly.</summary>
internal static class ApnsFormatter
{
    /// <summary>APNs refuses larger payloads (413 <c>PayloadTooLarge</c>).</summary>
    public const int MaxPayloadBytes = 4096;

    /// <summary>APNs refuses longer collapse ids (400 <c>BadCollapseId</c>).</summary>
    public const int MaxCollapseIdBytes = 64;

    // Non-ASCII text stays UTF-8 instead of \uXXXX escapes: the 4 KiB limit counts bytes. Nothing here is HTML.
    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ApnsRequestParts Format(PushMessage message)
    {
        var n = message.Notification;
        var expiration = n.ExpiresAt.ToUnixTimeSeconds();
        if (message.Kind == PushKind.Clear)
            return new ApnsRequestParts("background", 5, expiration, null, ClearPayload(n.Id, message.ClearReason ?? "seen-elsewhere"));

        var silent = n.Silent == true;
        var priority = silent || n.Priority == Priority.Low ? 5 : 10;
        return new ApnsRequestParts("alert", priority, expiration, message.CollapseKey, AlertPayload(n, silent));
    }

    private static byte[] AlertPayload(Engine.Notifications.NotificationPayload n, bool silent)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Writer))
        {
            w.WriteStartObject();
            w.WriteStartObject("aps");
            if (n.Title is not null || n.Body is not null)
            {
                w.WriteStartObject("alert");
                if (n.Title is not null) w.WriteString("title", n.Title);
                if (n.Body is not null) w.WriteString("body", n.Body);
                w.WriteEndObject();
            }
            if (!silent && n.Priority == Priority.Critical)
            {
                // A critical alert plays even in silent mode and Do Not Disturb (needs Apple's entitlement).
                w.WriteStartObject("sound");
                w.WriteNumber("critical", 1);
                w.WriteString("name", "default");
                w.WriteNumber("volume", 1.0);
                w.WriteEndObject();
            }
            else if (!silent)
            {
                w.WriteString("sound", "default");
            }
            w.WriteString("interruption-level", InterruptionLevel(n.Priority, silent));
            w.WriteString("thread-id", n.Category);
            w.WriteEndObject();
            w.WriteString("notificationId", n.Id);
            w.WriteString("category", n.Category);
            if (n.Repeat is { } repeat) w.WriteNumber("repeat", repeat);
            if (n.Data is not null)
            {
                w.WritePropertyName("data");
                n.Data.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string InterruptionLevel(Priority priority, bool silent) => silent ? "passive" : priority switch
    {
        Priority.High => "time-sensitive",
        Priority.Critical => "critical",
        _ => "active",
    };

    private static byte[] ClearPayload(string notificationId, string reason)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Writer))
        {
            w.WriteStartObject();
            w.WriteStartObject("aps");
            w.WriteNumber("content-available", 1);
            w.WriteEndObject();
            w.WriteString("type", "clear");
            w.WriteString("notificationId", notificationId);
            w.WriteString("reason", reason);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
