using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Notify.Engine.Channels;

namespace Notify.Channels.Fcm;

/// <summary>The parts of a Google error body that decide what happens: <c>error.status</c>,
/// <c>error.message</c>, the FcmError <c>errorCode</c> and the BadRequest field violations.</summary>
internal sealed record FcmError(int Code, string? Status, string? Message, string? ErrorCode, IReadOnlyList<string> Fields)
{
    public static FcmError Parse(int httpStatus, string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
                return new FcmError(httpStatus, null, Truncate(body), null, []);
            string? errorCode = null;
            var fields = new List<string>();
            if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
                foreach (var d in details.EnumerateArray())
                {
                    if (d.ValueKind != JsonValueKind.Object) continue;
                    if (d.TryGetProperty("errorCode", out var ec) && ec.ValueKind == JsonValueKind.String)
                        errorCode ??= ec.GetString();
                    if (d.TryGetProperty("fieldViolations", out var fv) && fv.ValueKind == JsonValueKind.Array)
                        foreach (var v in fv.EnumerateArray())
                            if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String)
                                fields.Add(f.GetString()!);
                }
            return new FcmError(
                error.TryGetProperty("code", out var c) && c.TryGetInt32(out var code) ? code : httpStatus,
                error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null,
                error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null,
                errorCode, fields);
        }
        catch (JsonException)
        {
            // A proxy's HTML page, an empty body: only the HTTP status is left to go by.
            return new FcmError(httpStatus, null, Truncate(body), null, []);
        }
    }

    private static string? Truncate(string body) => body.Length == 0 ? null : body.Length <= 200 ? body : body[..200];
}

/// <summary>Maps an FCM reply to a <see cref="SendResult"/> (see docs/channels-fcm.md for the table).</summary>
internal static class FcmReplyClassifier
{
    /// <summary>FCM asks for at least a minute of back-off after <c>QUOTA_EXCEEDED</c>; used when it sends no
    /// <c>Retry-After</c>.</summary>
    public static readonly TimeSpan QuotaBackoff = TimeSpan.FromMinutes(1);

    /// <summary>True for a 401 about our OAuth access token (not <c>THIRD_PARTY_AUTH_ERROR</c>): worth one fresh token.</summary>
    public static bool IsStaleAccessToken(int status, FcmError error) =>
        status == 401 && error.ErrorCode is null or "UNAUTHENTICATED";

    public static SendResult Classify(int status, FcmError error, RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        const string fcm = FcmProvider.ProviderName;
        var code = error.ErrorCode ?? error.Status ?? ((HttpStatusCode)status).ToString();
        var detail = error.Message is null ? code : $"{code}: {error.Message}";
        var delay = RetryAfter(retryAfter, now);

        return code switch
        {
            "UNREGISTERED" or "SENDER_ID_MISMATCH" => new SendResult(SendOutcome.TokenInvalid, fcm, status, code),
            "INVALID_ARGUMENT" when error.Fields.Contains("message.token") => new SendResult(SendOutcome.TokenInvalid, fcm, status, $"{code}: message.token"),
            "INVALID_ARGUMENT" => new SendResult(SendOutcome.Rejected, fcm, status, WithFields(detail, error.Fields)),
            "QUOTA_EXCEEDED" => new SendResult(SendOutcome.Transient, fcm, status, code, delay ?? QuotaBackoff),
            "UNAVAILABLE" or "INTERNAL" => new SendResult(SendOutcome.Transient, fcm, status, code, delay),
            "THIRD_PARTY_AUTH_ERROR" => new SendResult(SendOutcome.Misconfigured, fcm, status, detail),
            _ => status switch
            {
                // No FcmError code: go by the HTTP status. 401/403/404 without one are about our credentials
                // or project id (PERMISSION_DENIED, "Requested entity was not found" for the project).
                401 or 403 or 404 => new SendResult(SendOutcome.Misconfigured, fcm, status, detail),
                408 or 429 or >= 500 => new SendResult(SendOutcome.Transient, fcm, status, code, delay),
                _ => new SendResult(SendOutcome.Rejected, fcm, status, detail),
            },
        };
    }

    /// <summary><c>Retry-After</c> as seconds or as an HTTP date (measured from <paramref name="now"/>).</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date > now ? date - now : TimeSpan.Zero;
        return null;
    }

    private static string WithFields(string detail, IReadOnlyList<string> fields) =>
        fields.Count == 0 ? detail : $"{detail} (fields: {string.Join(", ", fields)})";
}
