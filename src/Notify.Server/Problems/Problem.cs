using Microsoft.AspNetCore.Mvc;

namespace Notify.Server.Problems;

/// <summary>
/// RFC 9457 problem details with a stable <c>code</c> (the catalogue is in docs/api.md) and a message
/// that says what to send instead.
/// </summary>
public static class Problem
{
    public static IResult Of(int status, string code, string detail, IDictionary<string, string[]>? errors = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = Title(status),
            Detail = detail,
            Type = $"https://notify.dev/problems/{code}",
        };
        problem.Extensions["code"] = code;
        if (errors is not null) problem.Extensions["errors"] = errors;
        return TypedResults.Problem(problem);
    }

    public static IResult BadRequest(string code, string detail, string? field = null) =>
        Of(400, code, detail, field is null ? null : new Dictionary<string, string[]> { [field] = [detail] });

    public static IResult NotFound(string what, string id) =>
        Of(404, "not-found", $"There is no {what} '{id}' that these credentials can see.");

    public static async Task WriteAsync(HttpContext context, int status, string code, string detail)
    {
        context.Response.StatusCode = status;
        await Of(status, code, detail).ExecuteAsync(context);
    }

    private static string Title(int status) => status switch
    {
        400 => "The request is not valid",
        401 => "Credentials are missing or unknown",
        403 => "These credentials may not do this",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "The request body is too large",
        415 => "Unsupported content type",
        422 => "The request cannot be processed",
        503 => "Service unavailable",
        _ => "Error",
    };
}
