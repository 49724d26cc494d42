using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Notify.Server.Problems;

/// <summary>Turns request-reading failures (bad JSON, unknown fields, a body over the limit) into problems.</summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (context.Response.HasStarted) return false;
        var (status, code, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: 413 } => (413, "payload-too-large",
                $"The body is larger than the {context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes this endpoint accepts; send less data."),
            BadHttpRequestException { StatusCode: 415 } => (415, "unsupported-media-type", "Send the body as application/json."),
            BadHttpRequestException { InnerException: JsonException json } => Describe(json),
            BadHttpRequestException b when b.Message.Contains("no body was provided", StringComparison.OrdinalIgnoreCase) =>
                (400, "missing-body", "This endpoint needs a JSON body."),
            BadHttpRequestException b => (b.StatusCode, "bad-request", b.Message),
            // The address is for operators (readiness, logs), not for API callers.
            Notify.Engine.Storage.StoreUnavailableException => (503, "store-unavailable",
                "The store is unreachable right now, so nothing was done; retry in a few seconds (an idempotency key makes the retry safe)."),
            _ => (500, "internal-error", "Something failed on the server; it is logged. Retry, and report it if it persists."),
        };
        if (status == 500) LogUnhandled(exception);
        if (status == 503) LogStoreUnavailable(exception.Message);
        await Problem.WriteAsync(context, status, code, detail);
        return true;
    }

    private static (int, string, string) Describe(JsonException json)
    {
        var path = json.Path ?? "$";
        if (json.Message.Contains("could not be mapped", StringComparison.Ordinal))
            return (400, "unknown-field", $"The field '{path}' is not part of this request; remove it (field names are camelCase, see docs/api.md).");
        if (json.Message.Contains("could not be converted", StringComparison.Ordinal))
            return (400, "invalid-field", $"The field '{path}' has the wrong type or an unknown value: {Expected(json)}.");
        return (400, "invalid-json", $"The body is not valid JSON near '{path}' (line {json.LineNumber + 1}, position {json.BytePositionInLine}).");
    }

    /// <summary>What the field takes, in JSON terms rather than .NET type names.</summary>
    private static string Expected(JsonException json)
    {
        var named = json.Message.Split("converted to ", 2).ElementAtOrDefault(1)?.Split(". Path:", 2)[0] ?? "";
        // The reader names the enclosing request type when a member is wrong: look the member up to name its own type.
        var member = (json.Path ?? "").Split('.').Last().Split('[')[0];
        var owner = typeof(ProblemExceptionHandler).Assembly.GetType(named) ?? typeof(Notify.Engine.Model.Names).Assembly.GetType(named);
        var property = owner?.GetProperties().FirstOrDefault(p => string.Equals(p.Name, member, StringComparison.OrdinalIgnoreCase))?.PropertyType;
        var type = property is not null
            ? (Nullable.GetUnderlyingType(property) ?? property).Name
            // Nullable`1[Notify.Engine.Model.Platform] → Platform; Notify.Server.Api.X+Y → Y.
            : named.TrimEnd(']').Split('[').Last().Split('.').Last().Split('+').Last();
        return "expected " + type switch
        {
            "String" => "a string",
            "Boolean" => "true or false",
            "Double" or "Single" or "Decimal" or "Int32" or "Int64" => "a number",
            "JsonObject" => "a JSON object",
            "DateTimeOffset" => "an ISO-8601 instant such as 2026-11-27T09:00:00Z",
            "Priority" => "one of low, normal, high, critical",
            "Platform" => "one of ios, android, web, desktop, watch",
            "Presence" => "one of active, idle, away",
            "ConnectivityType" => "one of wifi, cellular, ethernet, none",
            "AckAction" => "one of seen, opened, dismissed",
            // The reader names the enclosing request type when a member has the wrong JSON token; its inner message says which.
            _ when json.InnerException is { } inner => $"another JSON type ({inner.Message.TrimEnd('.')})",
            _ => "a value of the documented type (docs/api.md)",
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A request failed because the store is unavailable: {Reason}")]
    private partial void LogStoreUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error")]
    private partial void LogUnhandled(Exception e);
}
