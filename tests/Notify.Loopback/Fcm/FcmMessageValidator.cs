using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Notify.Loopback.Fcm;

/// <summary>
/// Checks a send body the way FCM does, answering with FCM's 400 INVALID_ARGUMENT for what it refuses: unknown
/// fields (Google's JSON parser rejects them), a missing or empty target, non-string data values, reserved data
/// keys, a malformed or too long ttl, bad enum values, non-string APNs headers, and a payload over 4096 bytes.
/// Size is counted as the adapter documents: the UTF-8 JSON of <c>message</c> without <c>token</c>.
/// </summary>
public static partial class FcmMessageValidator
{
    public const int MaxPayloadBytes = 4096;

    private static readonly HashSet<string> TopFields = ["message", "validate_only"];
    private static readonly HashSet<string> MessageFields = ["name", "token", "topic", "condition", "notification", "data", "android", "apns", "webpush", "fcm_options"];
    private static readonly HashSet<string> NotificationFields = ["title", "body", "image"];
    private static readonly HashSet<string> AndroidFields = ["collapse_key", "priority", "ttl", "restricted_package_name", "data", "notification", "fcm_options", "direct_boot_ok", "bandwidth_constrained_ok", "restricted_satellite_ok"];
    private static readonly HashSet<string> AndroidNotificationFields = ["title", "body", "icon", "color", "sound", "tag", "click_action", "body_loc_key", "body_loc_args", "title_loc_key", "title_loc_args", "channel_id", "ticker", "sticky", "event_time", "local_only", "notification_priority", "default_sound", "default_vibrate_timings", "default_light_settings", "vibrate_timings", "visibility", "notification_count", "light_settings", "image", "bypass_proxy_notification", "proxy"];
    private static readonly HashSet<string> ApnsFields = ["headers", "payload", "fcm_options", "live_activity_token"];
    private static readonly HashSet<string> NotificationPriorities = ["PRIORITY_UNSPECIFIED", "PRIORITY_MIN", "PRIORITY_LOW", "PRIORITY_DEFAULT", "PRIORITY_HIGH", "PRIORITY_MAX"];

    /// <summary>Null when FCM would accept <paramref name="body"/>, else its error reply.</summary>
    public static FcmReply? Validate(JsonNode? body)
    {
        if (body is not JsonObject root)
            return Json("Invalid JSON payload received. Expected an object.");
        if (Unknown(root, TopFields, null) is { } unknownTop) return unknownTop;
        if (root["message"] is not JsonObject message)
            return FcmReply.InvalidArgument("message", "Message must be set.");
        if (Unknown(message, MessageFields, "message") is { } unknown) return unknown;

        var targets = new[] { "token", "topic", "condition" }.Count(message.ContainsKey);
        if (targets == 0)
            return FcmReply.InvalidArgument(null, "Recipient of the message is not set.");
        if (targets > 1)
            return FcmReply.InvalidArgument("message", "Exactly one of token, topic or condition must be set.");
        if (message.ContainsKey("token") && (!IsString(message["token"], out var token) || string.IsNullOrWhiteSpace(token)))
            return FcmReply.InvalidToken();

        if (message["notification"] is { } n)
        {
            if (n is not JsonObject notification) return Json("Invalid value at 'message.notification': expected an object.", "message.notification");
            if (Unknown(notification, NotificationFields, "message.notification") is { } u) return u;
            if (NonString(notification, "message.notification") is { } ns) return ns;
        }

        if (message["data"] is { } d)
        {
            if (d is not JsonObject data) return Json("Invalid value at 'message.data': expected a map of strings.", "message.data");
            var i = 0;
            foreach (var (key, value) in data)
            {
                if (!IsString(value, out _))
                    return Json($"Invalid value at 'message.data[{i}].value' (TYPE_STRING), {value?.ToJsonString() ?? "null"}", $"message.data[{i}].value");
                if (key is "from" or "message_type" || key.StartsWith("google", StringComparison.OrdinalIgnoreCase) || key.StartsWith("gcm", StringComparison.OrdinalIgnoreCase))
                    return FcmReply.InvalidArgument("message.data", $"Invalid data payload key: {key}. Keys 'from', 'message_type' and keys starting with 'google' or 'gcm' are reserved.");
                i++;
            }
        }

        if (message["android"] is { } a && ValidateAndroid(a) is { } androidError) return androidError;
        if (message["apns"] is { } p && ValidateApns(p) is { } apnsError) return apnsError;

        var counted = message.DeepClone().AsObject();
        counted.Remove("token");
        var size = Encoding.UTF8.GetByteCount(counted.ToJsonString());
        if (size > MaxPayloadBytes)
            return FcmReply.InvalidArgument("message", $"Message is too big: {size} bytes, the limit is {MaxPayloadBytes} bytes.");
        return null;
    }

    private static FcmReply? ValidateAndroid(JsonNode node)
    {
        if (node is not JsonObject android) return Json("Invalid value at 'message.android': expected an object.", "message.android");
        if (Unknown(android, AndroidFields, "message.android") is { } u) return u;
        if (android["priority"] is { } pr && (!IsString(pr, out var priority) || priority.ToUpperInvariant() is not ("NORMAL" or "HIGH")))
            return Json($"Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), {pr.ToJsonString()}", "message.android.priority");
        if (android["ttl"] is { } t)
        {
            if (!IsString(t, out var ttl) || DurationPattern().Match(ttl) is not { Success: true } m)
                return Json($"Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), Field 'ttl', Illegal duration format; duration must end with 's'", "message.android.ttl");
            if (double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 2_419_200)
                return FcmReply.InvalidArgument("message.android.ttl", "The ttl must be between 0 and 2419200 seconds (28 days).");
        }
        if (android["collapse_key"] is { } ck && !IsString(ck, out _))
            return Json($"Invalid value at 'message.android.collapse_key' (TYPE_STRING), {ck.ToJsonString()}", "message.android.collapse_key");
        if (android["data"] is JsonObject data && NonString(data, "message.android.data") is { } ns) return ns;
        if (android["notification"] is { } an)
        {
            if (an is not JsonObject notification) return Json("Invalid value at 'message.android.notification': expected an object.", "message.android.notification");
            if (Unknown(notification, AndroidNotificationFields, "message.android.notification") is { } un) return un;
            if (notification["notification_priority"] is { } np && (!IsString(np, out var npv) || !NotificationPriorities.Contains(npv)))
                return Json($"Invalid value at 'message.android.notification.notification_priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidNotification.NotificationPriority), {np.ToJsonString()}", "message.android.notification.notification_priority");
            foreach (var flag in new[] { "default_sound", "default_vibrate_timings", "default_light_settings", "sticky", "local_only" })
                if (notification[flag] is { } f && f.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    return Json($"Invalid value at 'message.android.notification.{flag}' (TYPE_BOOL), {f.ToJsonString()}", $"message.android.notification.{flag}");
        }
        return null;
    }

    private static FcmReply? ValidateApns(JsonNode node)
    {
        if (node is not JsonObject apns) return Json("Invalid value at 'message.apns': expected an object.", "message.apns");
        if (Unknown(apns, ApnsFields, "message.apns") is { } u) return u;
        if (apns["headers"] is { } h)
        {
            if (h is not JsonObject headers) return Json("Invalid value at 'message.apns.headers': expected a map of strings.", "message.apns.headers");
            if (NonString(headers, "message.apns.headers") is { } ns) return ns;
            if (headers["apns-priority"] is { } pr && pr.GetValue<string>() is not ("5" or "10" or "1"))
                return FcmReply.InvalidArgument("message.apns.headers", "apns-priority must be 10, 5 or 1.");
            if (headers["apns-expiration"] is { } ex && !long.TryParse(ex.GetValue<string>(), out _))
                return FcmReply.InvalidArgument("message.apns.headers", "apns-expiration must be a UNIX epoch date in seconds.");
            if (headers["apns-collapse-id"] is { } cid && Encoding.UTF8.GetByteCount(cid.GetValue<string>()) > 64)
                return FcmReply.InvalidArgument("message.apns.headers", "apns-collapse-id must not exceed 64 bytes.");
        }
        if (apns["payload"] is { } p)
        {
            if (p is not JsonObject payload) return Json("Invalid value at 'message.apns.payload': expected an object.", "message.apns.payload");
            if (payload["aps"] is { } aps && aps is not JsonObject)
                return FcmReply.InvalidArgument("message.apns.payload", "aps must be a dictionary.");
        }
        return null;
    }

    private static FcmReply? Unknown(JsonObject obj, IReadOnlySet<string> known, string? at)
    {
        foreach (var (key, _) in obj)
            if (!known.Contains(key))
                return Json($"Invalid JSON payload received. Unknown name \"{key}\"{(at is null ? "" : $" at '{at}'")}: Cannot find field.", at is null ? key : $"{at}.{key}");
        return null;
    }

    private static FcmReply? NonString(JsonObject obj, string at)
    {
        foreach (var (key, value) in obj)
            if (!IsString(value, out _))
                return Json($"Invalid value at '{at}.{key}' (TYPE_STRING), {value?.ToJsonString() ?? "null"}", $"{at}.{key}");
        return null;
    }

    private static bool IsString(JsonNode? node, out string value)
    {
        value = "";
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return false;
        value = v.GetValue<string>();
        return true;
    }

    private static FcmReply Json(string description, string? field = null) =>
        FcmReply.InvalidArgument(field, description, message: description);

    [GeneratedRegex(@"^(\d+(?:\.\d{1,9})?)s$")]
    private static partial Regex DurationPattern();
}
