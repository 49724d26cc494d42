using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Notify.Engine.Channels;
using Notify.Engine.Model;

namespace Notify.Channels.Fcm;

/// <summary>The request body for one message, or why it cannot be sent.</summary>
/// <param name="Body">UTF-8 JSON <c>{"message": {...}}</c>, null when rejected.</param>
/// <param name="PayloadBytes">The size checked against <see cref="FcmMessageBuilder.MaxPayloadBytes"/>.</param>
/// <param name="Rejection">Why the message can never be sent as it is (<c>payload-too-large</c>, ...).</param>
internal sealed record FcmRequest(byte[]? Body, int PayloadBytes, string? Rejection);

/// <summary>
/// Turns a <see cref="PushMessage"/> into an FCM HTTP v1 <c>message</c> (the formatter half of the adapter; pure,
/// so the shape is tested without a network).
/// </summary>
internal static class FcmMessageBuilder
{
    /// <summary>FCM's limit. What we count: the UTF-8 bytes of the serialized <c>message</c> object without its
    /// <c>token</c> (the address, not the payload), i.e. notification, data and both platform blocks. That is at
    /// least what FCM and APNs count, so a message that passes here is not refused for size there.</summary>
    public const int MaxPayloadBytes = 4096;

    /// <summary>FCM's longest time to live: 28 days.</summary>
    public const long MaxTtlSeconds = 2_419_200;

    /// <summary>APNs limit on <c>apns-collapse-id</c>.</summary>
    public const int MaxCollapseIdBytes = 64;

    public static FcmRequest Build(PushMessage push, DateTimeOffset now)
    {
        var n = push.Notification;
        var ttl = TtlSeconds(n.ExpiresAt, now);
        var expiration = now.ToUnixTimeSeconds() + ttl;
        if (push.Kind == PushKind.Alert && Rejection(push) is { } rejection)
            return new FcmRequest(null, 0, rejection);
        var message = push.Kind == PushKind.Clear ? BuildClear(push, ttl, expiration) : BuildAlert(push, ttl, expiration);

        // Serialize once, straight to UTF-8: the payload is counted on these bytes, and the body is them with the
        // token spliced in front ({"message":{"token":"…",<the rest>}), instead of a second tree and two strings.
        var payload = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(message);
        if (payload.Length > MaxPayloadBytes)
            return new FcmRequest(null, payload.Length, "payload-too-large");

        var token = Encoding.UTF8.GetBytes(System.Text.Json.JsonEncodedText.Encode(push.Target.Token).ToString());
        ReadOnlySpan<byte> head = "{\"message\":{\"token\":\""u8;
        var rest = payload.AsSpan(1); // after the message's '{'
        var comma = rest.Length > 1 ? 1 : 0; // a message with fields: separate the token from them
        var body = new byte[head.Length + token.Length + 1 + comma + rest.Length + 1];
        var at = 0;
        head.CopyTo(body);
        at += head.Length;
        token.CopyTo(body, at);
        at += token.Length;
        body[at++] = (byte)'"';
        if (comma == 1) body[at++] = (byte)',';
        rest.CopyTo(body.AsSpan(at));
        at += rest.Length;
        body[at] = (byte)'}';
        return new FcmRequest(body, payload.Length, null);
    }

    /// <summary>Seconds from now until the notification expires, clamped to FCM's 0..28 days.</summary>
    public static long TtlSeconds(DateTimeOffset expiresAt, DateTimeOffset now)
    {
        var seconds = (long)Math.Ceiling((expiresAt - now).TotalSeconds);
        return Math.Clamp(seconds, 0, MaxTtlSeconds);
    }

    /// <summary>True for data keys FCM reserves: <c>from</c>, <c>message_type</c>, and any starting with
    /// <c>google</c> or <c>gcm</c>.</summary>
    public static bool IsReservedKey(string key) =>
        key is "from" or "message_type"
        || key.StartsWith("google", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("gcm", StringComparison.OrdinalIgnoreCase);

    private static string? Rejection(PushMessage push)
    {
        if (push.Notification.Data is { } data)
            foreach (var (key, _) in data)
                if (IsReservedKey(key))
                    return $"reserved-data-key: FCM reserves data key '{key}' (from, message_type, google*, gcm*); rename it.";
        if (push.CollapseKey is { } ck && Encoding.UTF8.GetByteCount(ck) > MaxCollapseIdBytes)
            return $"collapse-key-too-long: '{ck}' is over {MaxCollapseIdBytes} bytes (APNs apns-collapse-id limit).";
        return null;
    }

    private static JsonObject BuildAlert(PushMessage push, long ttl, long expiration)
    {
        var n = push.Notification;
        var silent = n.Silent == true;
        var message = new JsonObject();

        if (n.Title is not null || n.Body is not null)
        {
            var notification = new JsonObject();
            if (n.Title is not null) notification["title"] = n.Title;
            if (n.Body is not null) notification["body"] = n.Body;
            message["notification"] = notification;
        }

        var data = new JsonObject();
        if (n.Data is { } appData)
            foreach (var (key, value) in appData)
            {
                if (value is null) continue; // FCM has no null; an absent key reads the same to the app
                data[key] = value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
            }
        // Ours last, so they win over app keys of the same name: the SDK relies on them.
        data["type"] = "notification";
        data["notificationId"] = n.Id;
        data["category"] = n.Category;
        data["priority"] = PriorityName(n.Priority);
        if (silent) data["silent"] = "true";
        if (n.Repeat is { } repeat) data["repeat"] = repeat.ToString(CultureInfo.InvariantCulture);
        message["data"] = data;

        var android = new JsonObject
        {
            ["priority"] = n.Priority is Priority.High or Priority.Critical ? "high" : "normal",
            ["ttl"] = ttl.ToString(CultureInfo.InvariantCulture) + "s",
        };
        if (push.CollapseKey is not null) android["collapse_key"] = push.CollapseKey;
        if (silent)
        {
            // Before Android 8 these silence the notification; from 8 on the app's channel decides, and the
            // "silent" data key tells the SDK to use its quiet channel.
            android["notification"] = new JsonObject
            {
                ["default_sound"] = false,
                ["default_vibrate_timings"] = false,
                ["notification_priority"] = "PRIORITY_LOW",
            };
        }
        message["android"] = android;

        var headers = new JsonObject
        {
            // Low priority may wait for the device's convenience (5); the rest is shown now (10).
            ["apns-priority"] = n.Priority == Priority.Low ? "5" : "10",
            ["apns-push-type"] = "alert",
            ["apns-expiration"] = expiration.ToString(CultureInfo.InvariantCulture),
        };
        if (push.CollapseKey is not null) headers["apns-collapse-id"] = push.CollapseKey;
        var aps = new JsonObject
        {
            ["interruption-level"] = silent ? "passive" : InterruptionLevel(n.Priority),
            ["thread-id"] = n.Category,
        };
        if (!silent) aps["sound"] = "default";
        message["apns"] = new JsonObject { ["headers"] = headers, ["payload"] = new JsonObject { ["aps"] = aps } };
        return message;
    }

    private static JsonObject BuildClear(PushMessage push, long ttl, long expiration) => new()
    {
        ["data"] = new JsonObject
        {
            ["type"] = "clear",
            ["notificationId"] = push.Notification.Id,
            ["reason"] = push.ClearReason ?? "seen-elsewhere",
        },
        ["android"] = new JsonObject
        {
            ["priority"] = "normal",
            ["ttl"] = ttl.ToString(CultureInfo.InvariantCulture) + "s",
        },
        ["apns"] = new JsonObject
        {
            // Apple drops background pushes sent with priority 10.
            ["headers"] = new JsonObject
            {
                ["apns-priority"] = "5",
                ["apns-push-type"] = "background",
                ["apns-expiration"] = expiration.ToString(CultureInfo.InvariantCulture),
            },
            ["payload"] = new JsonObject { ["aps"] = new JsonObject { ["content-available"] = 1 } },
        },
    };

    private static string PriorityName(Priority p) => p switch
    {
        Priority.Low => "low",
        Priority.Normal => "normal",
        Priority.High => "high",
        _ => "critical",
    };

    // Critical maps to time-sensitive: "critical" needs Apple's entitlement and breaks through Do Not Disturb,
    // which is the app's call, not this adapter's.
    private static string InterruptionLevel(Priority p) => p switch
    {
        Priority.Low => "passive",
        Priority.Normal => "active",
        _ => "time-sensitive",
    };
}
