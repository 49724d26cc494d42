using System.Net;
using System.Text.Json;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Rules;

/// <summary>The rules API over the real server: edits go live at once, refused edits change nothing.</summary>
public sealed class RulesApiTests : IAsyncLifetime
{
    private const string Mention = "match: { category: mention }\nsteps:\n  - to: attention\n    via: inApp\n    wait: 2m\n  - to: best\n    via: inApp\n";

    private NotifyTestServer _server = null!;
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _server = new NotifyTestServer(rules: new Dictionary<string, string>
        {
            ["default.yaml"] = NotifyTestServer.DefaultRule,
            ["mention.yaml"] = Mention,
        });
        _admin = _server.Http(NotifyTestServer.AdminKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<NotificationDetails> NotifyAsync(string category)
    {
        await using var scenario = await Scenario.CreateAsync(_server);
        var accepted = await scenario.NotifyAsync(category);
        return await scenario.App.GetNotificationAsync(accepted.NotificationId);
    }

    [Fact]
    public async Task Put_NewValidRule_IsWrittenLiveAndStored()
    {
        var (status, body) = await _admin.PutRuleAsync("billing", RulesHttp.Billing);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("billing", body.GetProperty("name").GetString());
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.Equal("billing.yaml", body.GetProperty("file").GetString());
        Assert.Equal(["billing"], body.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Empty(body.Problems());
        var version = body.GetProperty("version").GetString();
        Assert.Equal(RulesHttp.Billing, await File.ReadAllTextAsync(Path.Combine(_server.RulesFolder(), "billing.yaml")));
        Assert.DoesNotContain(Directory.EnumerateFiles(_server.RulesFolder()), f => f.EndsWith(".tmp", StringComparison.Ordinal));

        var notification = await NotifyAsync("billing");

        Assert.Equal("billing", notification.RuleName);
        Assert.Equal(version, notification.RuleVersion);
    }

    [Fact]
    public async Task Put_ExistingRule_Replaces_OldVersionStaysInTheStore()
    {
        var before = _server.Count("rule_versions");
        var (status, body) = await _admin.PutRuleAsync("mention", Mention.Replace("wait: 2m", "wait: 5m"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("wait: 5m", body.GetProperty("source").GetString());
        Assert.Equal(before + 1, _server.Count("rule_versions"));
        Assert.Equal(body.GetProperty("version").GetString(), (await NotifyAsync("mention")).RuleVersion);
    }

    [Fact]
    public async Task Put_Json_IsTakenAsYamlAndStoredAsGiven()
    {
        const string json = """{"match":{"category":"billing"},"steps":[{"to":"best","via":"inApp"}]}""";

        var (status, _) = await _admin.PutRuleAsync("billing", json, "application/json");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(json, await File.ReadAllTextAsync(Path.Combine(_server.RulesFolder(), "billing.yaml")));
        Assert.Equal("billing", (await NotifyAsync("billing")).RuleName);
    }

    [Fact]
    public async Task Put_InvalidRule_422WithEveryProblem_LiveVersionUntouched()
    {
        var (_, live) = await _admin.GetRuleAsync("mention");

        var (status, body) = await _admin.PutRuleAsync("mention",
            "match: { category: mention }\nsteps:\n  - to: nobody\n    via: inApp\n    wait: 2m\n  - to: best\n    via: pigeon\n");

        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal("invalid-rule", body.GetProperty("code").GetString());
        var problems = body.Problems();
        Assert.Contains(problems, p => p.Line == 3 && p.Message.Contains("unknown target 'nobody'"));
        Assert.Contains(problems, p => p.Line == 7 && p.Message.Contains("unknown channel 'pigeon'"));
        Assert.All(problems, p => Assert.True(p.Column > 0));
        Assert.Equal(Mention, await File.ReadAllTextAsync(Path.Combine(_server.RulesFolder(), "mention.yaml")));
        var (_, after) = await _admin.GetRuleAsync("mention");
        Assert.Equal(live.GetProperty("version").GetString(), after.GetProperty("version").GetString());
        Assert.Empty(after.Problems());
        Assert.Equal(live.GetProperty("version").GetString(), (await NotifyAsync("mention")).RuleVersion);
    }

    [Fact]
    public async Task Put_BodyNamesAnotherRule_422NameMismatch()
    {
        var (status, body) = await _admin.PutRuleAsync("billing", "name: invoices\n" + RulesHttp.Billing);

        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal("name-mismatch", body.GetProperty("code").GetString());
        Assert.Contains("'invoices'", body.GetProperty("detail").GetString());
        Assert.False(File.Exists(Path.Combine(_server.RulesFolder(), "billing.yaml")));
    }

    [Fact]
    public async Task Put_CategoryOfAnotherRule_422SaysWhich()
    {
        var (status, body) = await _admin.PutRuleAsync("chat", "match: { categories: [chat, mention] }\nsteps:\n  - to: best\n    via: inApp\n");

        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal("category-taken", body.GetProperty("code").GetString());
        Assert.Contains("'mention' is already served by rule 'mention'", body.GetProperty("detail").GetString());
        Assert.Single(body.Problems());
        Assert.False(File.Exists(Path.Combine(_server.RulesFolder(), "chat.yaml")));
    }

    [Theory]
    [InlineData("text/plain", 415, "unsupported-media-type")]
    [InlineData("application/x-www-form-urlencoded", 415, "unsupported-media-type")]
    [InlineData("text/yaml", 201, null)]
    [InlineData("application/x-yaml", 201, null)]
    public async Task Put_ContentType(string contentType, int expected, string? code)
    {
        var (status, body) = await _admin.PutRuleAsync("billing", RulesHttp.Billing, contentType);

        Assert.Equal(expected, (int)status);
        if (code is not null) Assert.Equal(code, body.GetProperty("code").GetString());
        if (expected == 415) Assert.Contains("application/yaml", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Put_WrongContentTypeWithoutCredentials_401First()
    {
        using var anonymous = _server.Http();

        var (status, _) = await anonymous.PutRuleAsync("billing", RulesHttp.Billing, "text/plain");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task OpenApi_DescribesTheRulesEndpoints_WithAYamlBody()
    {
        using var anyone = _server.Http();
        var doc = JsonDocument.Parse(await anyone.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = doc.GetProperty("paths");

        Assert.True(paths.TryGetProperty("/v1/rules", out _));
        Assert.True(paths.GetProperty("/v1/rules/validate").TryGetProperty("post", out _));
        var put = paths.GetProperty("/v1/rules/{name}").GetProperty("put");
        Assert.True(put.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/yaml", out _));
    }

    [Fact]
    public async Task Put_BadName_400()
    {
        var (status, body) = await _admin.PutRuleAsync("bad.name", RulesHttp.Billing);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid-name", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Put_BodyOverTheLimit_413()
    {
        var (status, body) = await _admin.PutRuleAsync("billing", RulesHttp.Billing + "\n#" + new string('x', 70 * 1024));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("payload-too-large", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Validate_GoodRule_ValidWithItsVersion_NothingSaved()
    {
        var (status, body) = await _admin.SendAsync(HttpMethod.Post, "/v1/rules/validate?name=billing", RulesHttp.Billing);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("valid").GetBoolean());
        Assert.Equal(12, body.GetProperty("version").GetString()!.Length);
        Assert.Empty(body.Problems());
        Assert.False(File.Exists(Path.Combine(_server.RulesFolder(), "billing.yaml")));
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetRuleAsync("billing")).Status);
    }

    [Fact]
    public async Task Validate_BrokenRule_EveryProblemWithItsLine()
    {
        var (status, body) = await _admin.SendAsync(HttpMethod.Post, "/v1/rules/validate",
            """{"match":{"category":"x"},"steps":[{"to":"best","via":"inApp","delay":"5m"}]}""", "application/json");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("valid").GetBoolean());
        Assert.False(body.TryGetProperty("version", out _));
        var problem = Assert.Single(body.Problems());
        Assert.Equal(1, problem.Line);
        Assert.Contains("unknown key 'delay'", problem.Message);
    }

    [Fact]
    public async Task Validate_NameMismatchAndTakenCategory_AreProblems()
    {
        var (_, body) = await _admin.SendAsync(HttpMethod.Post, "/v1/rules/validate?name=chat",
            "name: talk\nmatch: { category: mention }\nsteps:\n  - to: best\n    via: inApp\n");

        Assert.False(body.GetProperty("valid").GetBoolean());
        var problems = body.Problems();
        Assert.Contains(problems, p => p.Message.Contains("?name= says 'chat'"));
        Assert.Contains(problems, p => p.Message.Contains("'mention' is already served by rule 'mention'"));
    }

    [Fact]
    public async Task Validate_AnEditOfTheSameRule_IsNoConflictWithItself()
    {
        var (_, body) = await _admin.SendAsync(HttpMethod.Post, "/v1/rules/validate?name=mention", Mention.Replace("2m", "3m"));

        Assert.True(body.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Delete_RemovesTheFileAndTheRule_CategoryFallsToDefault()
    {
        var (status, _) = await _admin.SendAsync(HttpMethod.Delete, "/v1/rules/mention");

        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.False(File.Exists(Path.Combine(_server.RulesFolder(), "mention.yaml")));
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetRuleAsync("mention")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.SendAsync(HttpMethod.Delete, "/v1/rules/mention")).Status);
        Assert.Equal("default", (await NotifyAsync("mention")).RuleName);
    }

    [Fact]
    public async Task Delete_Default_UnmatchedCategoriesAreRefused()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.SendAsync(HttpMethod.Delete, "/v1/rules/default")).Status);
        await using var scenario = await Scenario.CreateAsync(_server);

        var error = await Assert.ThrowsAsync<NotifyApiException>(() => scenario.NotifyAsync("billing"));

        Assert.Equal(422, (int)error.StatusCode);
        Assert.Equal("unknown-category", error.Code);
        Assert.Equal("mention", (await scenario.App.GetNotificationAsync((await scenario.NotifyAsync("mention")).NotificationId)).RuleName);
    }

    [Fact]
    public async Task Get_OneRule_SourceAsJson_OrBareYaml()
    {
        var (status, body) = await _admin.GetRuleAsync("mention");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Mention, body.GetProperty("source").GetString());
        Assert.Equal(_server.Time.GetUtcNow(), body.GetProperty("updatedAt").GetDateTimeOffset());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/rules/mention");
        request.Headers.Accept.ParseAdd("application/yaml");
        using var response = await _admin.SendAsync(request);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Mention, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_UnknownRule_404Problem()
    {
        var (status, body) = await _admin.GetRuleAsync("nope");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not-found", body.GetProperty("code").GetString());
    }
}
