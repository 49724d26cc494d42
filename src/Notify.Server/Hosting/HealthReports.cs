using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Notify.Server.Hosting;

/// <summary>
/// <c>/health/ready</c>: the plain status (<c>Healthy</c>, <c>Degraded</c>, <c>Unhealthy</c>) for load balancers, or with
/// <c>Accept: application/json</c> every check with its description (what is wrong, e.g. a provider's configuration
/// error), for people and dashboards.
/// </summary>
internal static class HealthReports
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (!accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync(report.Status.ToString());
        }
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}
