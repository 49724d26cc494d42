using System.Net;
using System.Text.Json;

namespace Notify.Client;

/// <summary>
/// The Notify server refused a request. Carries the RFC 9457 problem details the server sent, so
/// callers can branch on the stable <see cref="Code"/> (for example <c>invalid-time-zone</c>) rather
/// than on the human-readable text.
/// </summary>
/// <remarks>
/// A body that is not problem details (a proxy's HTML page, an empty 502) is tolerated: <see cref="Code"/>
/// is then null, <see cref="Title"/> is the HTTP reason phrase and <see cref="Detail"/> the start of the body.
/// A realtime connection refused at the WebSocket upgrade (401 or 403) is reported with this exception too.
/// </remarks>
public sealed class NotifyApiException : Exception
{
    /// <summary>Creates the exception from its parts; the SDK builds it from the server's response.</summary>
    public NotifyApiException(HttpStatusCode statusCode, string? code, string? title, string? detail,
        string? type = null, JsonElement? errors = null, Exception? innerException = null)
        : base(BuildMessage(statusCode, code, title, detail), innerException)
    {
        StatusCode = statusCode;
        Code = code;
        Title = title;
        Detail = detail;
        Type = type;
        Errors = errors;
    }

    /// <summary>The HTTP status of the response.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The stable error code (<c>invalid-time-zone</c>, <c>not-found</c>, …); null when the body was
    /// not problem details.</summary>
    public string? Code { get; }

    /// <summary>A short summary of the problem.</summary>
    public string? Title { get; }

    /// <summary>What went wrong and what to send instead.</summary>
    public string? Detail { get; }

    /// <summary>The problem type URI, when the server sent one.</summary>
    public string? Type { get; }

    /// <summary>The optional <c>errors</c> member (for example every problem found in a request), as sent.</summary>
    public JsonElement? Errors { get; }

    private static string BuildMessage(HttpStatusCode statusCode, string? code, string? title, string? detail)
    {
        var text = $"Notify server answered {(int)statusCode} {title ?? statusCode.ToString()}";
        if (!string.IsNullOrEmpty(detail)) text += $": {detail}";
        if (!string.IsNullOrEmpty(code)) text += $" (code {code})";
        return text;
    }

    /// <summary>Reads a failed response into an exception; never throws on a malformed body.</summary>
    internal static async Task<NotifyApiException> FromResponseAsync(HttpResponseMessage response,
        CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return FromBody(response.StatusCode, response.ReasonPhrase, body);
    }

    internal static NotifyApiException FromBody(HttpStatusCode statusCode, string? reasonPhrase, string? body)
    {
        const int MaxDetail = 500;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    var root = document.RootElement;
                    JsonElement? errors = root.TryGetProperty("errors", out var e) ? e.Clone() : null;
                    return new NotifyApiException(statusCode, String(root, "code"), String(root, "title") ?? reasonPhrase,
                        String(root, "detail"), String(root, "type"), errors);
                }
            }
            catch (JsonException)
            {
                // Not JSON: fall through and keep the text as the detail.
            }
        }

        var detail = string.IsNullOrWhiteSpace(body) ? null : body.Length <= MaxDetail ? body : body[..MaxDetail] + "…";
        return new NotifyApiException(statusCode, null, reasonPhrase, detail);
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
