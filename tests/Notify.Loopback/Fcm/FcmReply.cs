using System.Text.Json.Nodes;

namespace Notify.Loopback.Fcm;

/// <summary>
/// A reply the loopback FCM server gives, with Google's exact error bodies
/// (<c>{"error":{"code","message","status","details":[FcmError, BadRequest]}}</c>).
/// </summary>
/// <param name="RetryAfter">The <c>Retry-After</c> header value as sent: seconds (<c>"30"</c>) or an HTTP date.</param>
public sealed record FcmReply(int Status, string Body, string? RetryAfter = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    private const string FcmErrorType = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
    private const string BadRequestType = "type.googleapis.com/google.rpc.BadRequest";

    /// <summary>200 with the message's name, as FCM answers a send.</summary>
    public static FcmReply Ok(string projectId, string messageId) =>
        new(200, new JsonObject { ["name"] = $"projects/{projectId}/messages/{messageId}" }.ToJsonString());

    /// <summary>404: the app was uninstalled or the token expired.</summary>
    public static FcmReply Unregistered() =>
        Error(404, "Requested entity was not found.", "NOT_FOUND", "UNREGISTERED");

    /// <summary>400 INVALID_ARGUMENT about <c>message.token</c>: not a token at all.</summary>
    public static FcmReply InvalidToken() =>
        InvalidArgument("message.token", "The registration token is not a valid FCM registration token");

    /// <summary>400 INVALID_ARGUMENT about a field of the message.</summary>
    public static FcmReply InvalidArgument(string? field, string description, string? message = null) =>
        Error(400, message ?? (field is null ? description : "Request contains an invalid argument."), "INVALID_ARGUMENT", "INVALID_ARGUMENT",
            new JsonObject
            {
                ["@type"] = BadRequestType,
                ["fieldViolations"] = new JsonArray(field is null
                    ? new JsonObject { ["description"] = description }
                    : new JsonObject { ["field"] = field, ["description"] = description }),
            });

    /// <summary>403: the token belongs to another Firebase project.</summary>
    public static FcmReply SenderIdMismatch() =>
        Error(403, "SenderId mismatch", "PERMISSION_DENIED", "SENDER_ID_MISMATCH");

    /// <summary>429: project, device or topic quota used up.</summary>
    public static FcmReply QuotaExceeded(string? retryAfter = null) =>
        Error(429, "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com'.",
            "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED") with { RetryAfter = retryAfter };

    /// <summary>503: FCM overloaded.</summary>
    public static FcmReply Unavailable(string? retryAfter = null) =>
        Error(503, "The service is currently unavailable.", "UNAVAILABLE", "UNAVAILABLE") with { RetryAfter = retryAfter };

    /// <summary>500: unknown internal error.</summary>
    public static FcmReply Internal(string? retryAfter = null) =>
        Error(500, "Internal error encountered.", "INTERNAL", "INTERNAL") with { RetryAfter = retryAfter };

    /// <summary>401: the APNs certificate/key or web push credential in the Firebase project is wrong.</summary>
    public static FcmReply ThirdPartyAuthError() =>
        Error(401, "Auth error from APNS or Web Push Service", "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR");

    /// <summary>401 without FcmError: the OAuth access token is missing, expired or revoked.</summary>
    public static FcmReply Unauthenticated() =>
        new(401, ErrorBody(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "UNAUTHENTICATED", null),
            Headers: new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"" });

    /// <summary>403 without FcmError: the service account may not send for this project (or it does not exist).</summary>
    public static FcmReply PermissionDenied(string projectId) =>
        new(403, ErrorBody(403, $"Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/{projectId}' (or it may not exist).",
            "PERMISSION_DENIED", null));

    private static FcmReply Error(int code, string message, string status, string errorCode, JsonObject? extra = null) =>
        new(code, ErrorBody(code, message, status, errorCode, extra));

    private static string ErrorBody(int code, string message, string status, string? errorCode, JsonObject? extra = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status };
        if (errorCode is not null)
        {
            var details = new JsonArray(new JsonObject { ["@type"] = FcmErrorType, ["errorCode"] = errorCode });
            if (extra is not null) details.Add(extra);
            error["details"] = details;
        }
        return new JsonObject { ["error"] = error }.ToJsonString();
    }
}
