using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace Notify.Server.Problems;

/// <summary>Problems (with a code) for statuses the framework sets without a body: an unknown route, a body over the
/// limit or of the wrong type, a method the route does not take.</summary>
internal static class StatusCodeProblems
{
    public static Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var (code, detail) = http.Response.StatusCode switch
        {
            404 => ("not-found", $"There is no endpoint {http.Request.Method} {http.Request.Path}; see /openapi/v1.json or docs/api.md."),
            405 => ("method-not-allowed", $"{http.Request.Path} does not take {http.Request.Method}."),
            413 => ("payload-too-large", $"The body is larger than the {http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes this server accepts (Api:MaxBodyBytes); send less data."),
            415 => ("unsupported-media-type", "Send the body as application/json."),
            var s => ("http-" + s, "The request failed."),
        };
        return Problem.WriteAsync(http, http.Response.StatusCode, code, detail);
    }
}
