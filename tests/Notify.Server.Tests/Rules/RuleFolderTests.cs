using System.Net;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Rules;

/// <summary>
/// The folder is the source of truth: hand edits are picked up by the watcher (real disk events; awaited as
/// signals, never slept on), broken ones are refused while the last good version serves, and API writes survive a restart.
/// </summary>
public sealed class RuleFolderTests : IAsyncLifetime
{
    private const string Mention = "match: { category: mention }\nsteps:\n  - to: best\n    via: inApp\n";

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

    private string PathOf(string file) => Path.Combine(_server.RulesFolder(), file);

    [Fact]
    public async Task HandWrittenNewFile_GoesLive()
    {
        await File.WriteAllTextAsync(PathOf("billing.yaml"), RulesHttp.Billing);

        await _server.WaitForRulesAsync(r => r.Rules.ContainsKey("billing"));

        var (status, body) = await _admin.GetRuleAsync("billing");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(RulesHttp.Billing, body.GetProperty("source").GetString());
        await using var scenario = await Scenario.CreateAsync(_server);
        var accepted = await scenario.NotifyAsync("billing");
        Assert.Equal("billing", (await scenario.App.GetNotificationAsync(accepted.NotificationId)).RuleName);
    }

    [Fact]
    public async Task BrokenEdit_IsRefusedWithEveryProblem_LastGoodStaysActive()
    {
        var (_, live) = await _admin.GetRuleAsync("mention");
        var version = live.GetProperty("version").GetString();

        await File.WriteAllTextAsync(PathOf("mention.yaml"), "match: { category: mention }\nsteps:\n  - to: best\n    via: pigeon\n    when: notification.colour == 'red'\n");
        await _server.WaitForRulesAsync(r => r.Files["mention.yaml"].Problems.Count > 0);

        var (status, body) = await _admin.GetRuleAsync("mention");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.Equal(version, body.GetProperty("version").GetString());
        Assert.Equal(Mention, body.GetProperty("source").GetString());
        Assert.True(body.TryGetProperty("refusedAt", out _));
        var problems = body.Problems();
        Assert.Contains(problems, p => p.Line == 4 && p.Message.Contains("unknown channel 'pigeon'"));
        Assert.All(problems, p => Assert.True(p.Line > 0 && p.Column > 0));

        var (_, list) = await _admin.SendAsync(HttpMethod.Get, "/v1/rules");
        var listed = list.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "mention");
        Assert.Equal(version, listed.GetProperty("version").GetString());
        Assert.Equal("mention.yaml", listed.GetProperty("problems")[0].GetProperty("file").GetString());
        Assert.False(listed.TryGetProperty("source", out _));

        using var anyone = _server.Http();
        Assert.Equal("Degraded", await anyone.GetStringAsync("/health/ready"));
        await using var scenario = await Scenario.CreateAsync(_server);
        var accepted = await scenario.NotifyAsync("mention");
        Assert.Equal(version, (await scenario.App.GetNotificationAsync(accepted.NotificationId)).RuleVersion);

        await File.WriteAllTextAsync(PathOf("mention.yaml"), Mention.Replace("best", "attention"));
        await _server.WaitForRulesAsync(r => r.Files["mention.yaml"].Problems.Count == 0);
        Assert.NotEqual(version, (await _admin.GetRuleAsync("mention")).Body.GetProperty("version").GetString());
        Assert.Equal("Healthy", await anyone.GetStringAsync("/health/ready"));
    }

    [Fact]
    public async Task HandDeletedFile_RuleIsRemoved()
    {
        File.Delete(PathOf("mention.yaml"));

        await _server.WaitForRulesAsync(r => !r.Rules.ContainsKey("mention"));

        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetRuleAsync("mention")).Status);
    }

    [Fact]
    public async Task RenamedIntoPlace_LikeAnEditorSave_GoesLive()
    {
        var temp = PathOf(".billing.yaml.swp");
        await File.WriteAllTextAsync(temp, RulesHttp.Billing);
        File.Move(temp, PathOf("billing.yaml"));

        await _server.WaitForRulesAsync(r => r.Rules.ContainsKey("billing"));
    }

    [Fact]
    public async Task Put_TheWatchersEchoIsANoOp()
    {
        var (status, body) = await _admin.PutRuleAsync("billing", RulesHttp.Billing);
        Assert.Equal(HttpStatusCode.Created, status);
        var putAt = body.GetProperty("updatedAt").GetDateTimeOffset();
        var generation = _server.Rules().Generation;
        _server.Time.Advance(TimeSpan.FromMinutes(1));

        // A later hand edit proves the watcher has handled the PUT's own write events by now.
        await File.WriteAllTextAsync(PathOf("chat.yaml"), "match: { category: chat }\nsteps:\n  - to: best\n    via: inApp\n");
        await _server.WaitForRulesAsync(r => r.Rules.ContainsKey("chat"));

        // The hand edit may arrive as two events (created empty, then written), so count only that something changed;
        // the PUT's echo being a no-op shows in 'billing' keeping the time of the PUT although the clock moved on.
        Assert.True(_server.Rules().Generation > generation);
        Assert.Equal(putAt, (await _admin.GetRuleAsync("billing")).Body.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task List_ShowsEveryFile_ARefusedNewFileAsInactive()
    {
        await File.WriteAllTextAsync(PathOf("broken.yaml"), "match: { category: x }\nsteps:\n  - to: nobody\n    via: inApp\n");
        await _server.WaitForRulesAsync(r => r.Files.ContainsKey("broken.yaml"));

        var (status, list) = await _admin.SendAsync(HttpMethod.Get, "/v1/rules");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["broken", "default", "mention"], list.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        var broken = list[0];
        Assert.False(broken.GetProperty("active").GetBoolean());
        Assert.False(broken.TryGetProperty("version", out _));
        Assert.Equal(3, broken.Problems().Single().Line);
        Assert.True(list[2].GetProperty("active").GetBoolean());
        Assert.Empty(list[2].Problems());
        var (_, one) = await _admin.GetRuleAsync("broken");
        Assert.False(one.GetProperty("active").GetBoolean());
        Assert.Single(one.Problems());
    }

    [Fact]
    public async Task Put_OverARefusedFile_FixesIt()
    {
        await File.WriteAllTextAsync(PathOf("billing.yaml"), "steps: nope\n");
        await _server.WaitForRulesAsync(r => r.Files.ContainsKey("billing.yaml"));

        var (status, body) = await _admin.PutRuleAsync("billing", RulesHttp.Billing);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Empty(body.Problems());
        Assert.Empty(_server.Rules().Problems);
    }

    [Fact]
    public async Task WithoutEvents_TheRescanPicksUpAHandEdit()
    {
        // Mounts such as NFS raise no file-system events for another client's edits: the periodic rescan covers them.
        await using var server = new NotifyTestServer(new Dictionary<string, string?>
        {
            ["Rules:Watch"] = "false",
            ["Rules:RescanInterval"] = "00:00:00.200",
        });

        await File.WriteAllTextAsync(Path.Combine(server.RulesFolder(), "billing.yaml"), RulesHttp.Billing);

        await server.WaitForRulesAsync(r => r.Rules.ContainsKey("billing"));
    }

    [Fact]
    public async Task Put_SurvivesARestart()
    {
        var folder = Directory.CreateTempSubdirectory("notify-restart-").FullName;
        try
        {
            string? version;
            await using (var first = new NotifyTestServer(rules: new Dictionary<string, string> { ["default.yaml"] = NotifyTestServer.DefaultRule }, directory: folder))
            {
                using var admin = first.Http(NotifyTestServer.AdminKey);
                var (status, body) = await admin.PutRuleAsync("billing", RulesHttp.Billing);
                Assert.Equal(HttpStatusCode.Created, status);
                version = body.GetProperty("version").GetString();
            }

            await using var second = new NotifyTestServer(directory: folder);
            using var again = second.Http(NotifyTestServer.AdminKey);
            var (getStatus, got) = await again.GetRuleAsync("billing");
            Assert.Equal(HttpStatusCode.OK, getStatus);
            Assert.Equal(version, got.GetProperty("version").GetString());
            await using var scenario = await Scenario.CreateAsync(second);
            var accepted = await scenario.NotifyAsync("billing");
            Assert.Equal(version, (await scenario.App.GetNotificationAsync(accepted.NotificationId)).RuleVersion);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }
}
