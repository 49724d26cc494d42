using Microsoft.Extensions.Diagnostics.HealthChecks;
using Notify.Engine.Rules;

namespace Notify.Server.Rules;

/// <summary>
/// Readiness of the rules: Unhealthy when no rule is live (nothing could be decided), Degraded when a file is
/// refused (its last good version, if any, still serves), Healthy otherwise.
/// </summary>
internal sealed class RulesHealthCheck(RuleSet rules) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (rules.Rules.Count == 0)
            return Task.FromResult(HealthCheckResult.Unhealthy("no rule is loaded: " + string.Join("; ", rules.Problems)));
        var data = new Dictionary<string, object> { ["rules"] = string.Join(", ", rules.Rules.Keys.Order(StringComparer.Ordinal)) };
        return Task.FromResult(rules.Problems.Count > 0
            ? HealthCheckResult.Degraded($"{rules.Problems.Count} rule problem(s): {string.Join("; ", rules.Problems)}", data: data)
            : HealthCheckResult.Healthy($"{rules.Rules.Count} rule(s) loaded", data));
    }
}
