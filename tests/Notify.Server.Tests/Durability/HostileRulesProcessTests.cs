using System.Net;
using System.Text.Json;
using Notify.Server.Tests.Infrastructure;
using Notify.Server.Tests.Rules;

namespace Notify.Server.Tests.Durability;

/// <summary>
/// Rules and inputs that used to end the real server process, or stop it from starting: a condition nested 3,000
/// parentheses deep (the Cel parser's stack), YAML nested 20,000 brackets deep (YamlDotNet's stack), and a duration in
/// Arabic-Indic digits (an exception out of the parser that failed the whole folder, then the host's start).
/// Run against the server as a child process, since a stack overflow cannot be caught in-process.
/// </summary>
public sealed class HostileRulesProcessTests
{
    private static string DeepCondition(int depth) => new string('(', depth) + "true" + new string(')', depth);

    private static string RuleWithWhen(string when) => $"match:\n  category: deep\nsteps:\n  - to: best\n    via: inApp\n    when: \"{when}\"\n";

    private static string DeepYaml(int depth) => $"match: {{ category: yaml }}\nsteps: {new string('[', depth)}{new string(']', depth)}\n";

    [Fact]
    public async Task Start_RulesFolderWithFilesThatCrashedIt_StartsAndRefusesOnlyThoseFiles()
    {
        using var home = new ServerHome();
        home.WriteRule("default", NotifyTestServer.DefaultRule);
        home.WriteRule("deep", RuleWithWhen(DeepCondition(3000)));
        home.WriteRule("yaml", DeepYaml(20_000));
        home.WriteRule("arabic", "match:\n  category: arabic\nsteps:\n  - to: best\n    via: inApp\n    wait: ١m\n  - to: best\n    via: push\n");

        await using var server = await ServerProcess.StartAsync(home);
        using var admin = server.Client(home.AdminKey);

        var (status, rules) = await admin.SendAsync(HttpMethod.Get, "/v1/rules");
        Assert.True(status == HttpStatusCode.OK, server.Output);
        var byName = rules.EnumerateArray().ToDictionary(r => r.GetProperty("file").GetString()!);
        Assert.True(byName["default.yaml"].GetProperty("active").GetBoolean());
        foreach (var (file, expected) in new[] { ("deep.yaml", "at most"), ("yaml.yaml", "levels"), ("arabic.yaml", "'wait'") })
        {
            Assert.False(byName[file].GetProperty("active").GetBoolean(), file);
            Assert.Contains(byName[file].GetProperty("problems").EnumerateArray(), p => p.GetProperty("message").GetString()!.Contains(expected, StringComparison.Ordinal));
        }
        Assert.False(server.HasExited);
    }

    [Fact]
    public async Task Api_HostileRulesAndDurations_AnsweredWithProblems_ProcessStaysUp()
    {
        using var home = new ServerHome();
        home.WriteRule("default", NotifyTestServer.DefaultRule);
        await using var server = await ServerProcess.StartAsync(home);
        using var admin = server.Client(home.AdminKey);
        using var app = server.Client(home.AppKey);

        // The console validates as the operator types: one such request used to end the process.
        var (status, body) = await admin.SendAsync(HttpMethod.Post, "/v1/rules/validate", RuleWithWhen(DeepCondition(3000)));
        Assert.True(status == HttpStatusCode.OK, server.Output);
        Assert.False(body.GetProperty("valid").GetBoolean());
        Assert.Contains("at most", Problems(body));

        // At the nesting limit the condition is fine.
        (status, body) = await admin.SendAsync(HttpMethod.Post, "/v1/rules/validate", RuleWithWhen(DeepCondition(Notify.Engine.Rules.ConditionLimits.MaxNesting)));
        Assert.True(body.GetProperty("valid").GetBoolean(), Problems(body));

        (status, body) = await admin.SendAsync(HttpMethod.Post, "/v1/rules/validate", DeepYaml(20_000));
        Assert.True(status == HttpStatusCode.OK, server.Output);
        Assert.Contains("levels", Problems(body));

        (status, body) = await admin.PutRuleAsync("arabic", "match:\n  category: arabic\nsteps:\n  - to: best\n    via: inApp\n    wait: ١m\n  - to: best\n    via: push\n");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("'wait'", Problems(body));

        await Api.PutUserAsync(app, "ana");
        using var notify = await app.PostAsync("v1/notify", new StringContent(
            JsonSerializer.Serialize(new { userId = "ana", category = "mention", ttl = "١s" }), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notify.StatusCode);
        using var problem = JsonDocument.Parse(await notify.Content.ReadAsStringAsync());
        Assert.Equal("invalid-duration", problem.RootElement.GetProperty("code").GetString());

        using var live = await admin.GetAsync("health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.False(server.HasExited, server.Output);
    }

    private static string Problems(JsonElement body) =>
        string.Join(" | ", body.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("message").GetString()));
}
