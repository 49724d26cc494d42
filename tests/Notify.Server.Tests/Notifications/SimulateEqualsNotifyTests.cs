using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Notify.Client;
using Notify.Client.Devices;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Notifications;

/// <summary>
/// <c>POST /v1/simulate</c> answers exactly what <c>POST /v1/notify</c> does on the same inputs: one table of situations,
/// each simulated first and then notified for real on the same server at the same (fake) instant; status, decision and
/// every trace line (kind, step, device, message) must agree. Then the follow-up (<c>step</c>, <c>deliveredTo</c>) and a
/// draft rule (<c>rule</c>).
/// </summary>
public sealed class SimulateEqualsNotifyTests : IAsyncLifetime
{
    private const string Rule = """
        name: default
        ttl: 1h
        quietHours: hold
        steps:
          - to: attention
            where: "device.platform in ['desktop', 'web'] || device.foreground"
            via: inApp
            wait: 2m
          - to: best
            via: inApp
            wait: 10m
          - to: user
            via: email
        """;

    private NotifyTestServer _server = null!;
    private HttpClient _admin = null!;
    private HttpClient _app = null!;

    public Task InitializeAsync()
    {
        _server = new NotifyTestServer(rules: new Dictionary<string, string> { ["default.yaml"] = Rule });
        _admin = _server.Http(NotifyTestServer.AdminKey);
        _app = _server.Http(NotifyTestServer.AppKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _app.Dispose();
        await _server.DisposeAsync();
    }

    public static TheoryData<string> Situations => ["laptop active", "everyone offline", "quiet hours", "muted", "phone foreground only", "no device"];

    [Theory]
    [MemberData(nameof(Situations))]
    public async Task Simulate_ThenNotify_SameStatusDecisionAndTrace(string situation)
    {
        var ana = await Scenario.CreateAsync(_server);
        var clients = new List<NotifyDeviceClient>();
        switch (situation)
        {
            case "laptop active":
                await ana.RegisterAsync("laptop", Platform.Desktop);
                await ana.RegisterAsync("phone", Platform.Ios);
                clients.Add(await ana.ConnectAsync("laptop", Presence.Active));
                break;
            case "everyone offline":
                await ana.RegisterAsync("laptop", Platform.Desktop);
                await ana.RegisterAsync("phone", Platform.Ios);
                break;
            case "quiet hours":
                await ana.RegisterAsync("laptop", Platform.Desktop);
                clients.Add(await ana.ConnectAsync("laptop", Presence.Active));
                (await _app.PutAsJsonAsync("/v1/users/ana/quiet-hours", new { windows = new[] { new { days = new[] { "daily" }, from = "08:00", to = "18:00" } } }))
                    .EnsureSuccessStatusCode();
                break;
            case "muted":
                await ana.RegisterAsync("laptop", Platform.Desktop);
                (await _app.PutAsJsonAsync("/v1/users/ana/preferences", new { categories = new { mention = new { muted = true } } })).EnsureSuccessStatusCode();
                break;
            case "phone foreground only":
                await ana.RegisterAsync("phone", Platform.Ios);
                await ana.RegisterAsync("tablet", Platform.Ios);
                clients.Add(await ana.ConnectAsync("phone", Presence.Active));
                clients.Add(await ana.ConnectAsync("tablet", Presence.Idle));
                break;
        }

        var simulated = await SimulateAsync(new { userId = "ana", category = "mention", title = "Hi" });
        var response = await _app.PostAsJsonAsync("/v1/notify", new { userId = "ana", category = "mention", title = "Hi" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var notified = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = notified.GetProperty("notificationId").GetString()!;
        var stored = await _app.GetFromJsonAsync<JsonElement>($"/v1/notifications/{id}");

        Assert.Equal(notified.GetProperty("status").GetString(), simulated.GetProperty("status").GetString());
        Assert.Equal(notified.GetProperty("decision").ToString(), simulated.GetProperty("decision").ToString());
        Assert.Equal(Lines(stored.GetProperty("trace")), Lines(simulated.GetProperty("trace")));
        Assert.Equal(stored.GetProperty("deliveries").GetArrayLength(), simulated.GetProperty("deliveries").GetArrayLength());
        foreach (var client in clients) await client.DisposeAsync();
    }

    [Fact]
    public async Task Simulate_FollowUpAfterTheLaptopHadIt_PassesTheLaptopOver()
    {
        var ana = await Scenario.CreateAsync(_server);
        var laptop = await ana.RegisterAsync("laptop", Platform.Desktop);
        var phone = await ana.RegisterAsync("phone", Platform.Ios);
        await using var laptopClient = await ana.ConnectAsync("laptop", Presence.Idle);
        await using var phoneClient = await ana.ConnectAsync("phone", Presence.Idle);

        var withoutHistory = await SimulateAsync(new { userId = "ana", category = "mention", step = 2 });
        var afterLaptop = await SimulateAsync(new { userId = "ana", category = "mention", step = 2, deliveredTo = new[] { laptop } });

        Assert.Equal(laptop, withoutHistory.GetProperty("decision").GetProperty("deviceId").GetString()); // ranks first (desktop online)
        Assert.Equal(phone, afterLaptop.GetProperty("decision").GetProperty("deviceId").GetString());
        Assert.Contains(Lines(afterLaptop.GetProperty("trace")), l => l.StartsWith("passedOver", StringComparison.Ordinal) && l.Contains(laptop) && l.Contains("already has it"));
        Assert.Equal("delivered", afterLaptop.GetProperty("status").GetString());
        var timers = afterLaptop.GetProperty("timers").EnumerateArray().Select(t => (t.GetProperty("kind").GetString(), t.GetProperty("step").GetInt32())).ToList();
        Assert.Contains(("followUp", 2), timers);
    }

    [Fact]
    public async Task Simulate_DraftRule_TriedBeforeItGoesLive_NothingStored()
    {
        var ana = await Scenario.CreateAsync(_server);
        await ana.RegisterAsync("laptop", Platform.Desktop);
        var draft = "name: draft-mention\nsteps:\n  - to: all\n    via: inApp\n";

        var result = await SimulateAsync(new { userId = "ana", category = "mention", rule = draft });

        Assert.Equal("draft-mention", result.GetProperty("rule").GetString());
        Assert.Contains(Lines(result.GetProperty("trace")), l => l.StartsWith("chosen", StringComparison.Ordinal) && l.Contains("all 1 eligible"));
        Assert.Equal(0L, _server.Count("notifications"));
    }

    [Fact]
    public async Task Simulate_BadDraftOrFollowUp_ClearProblems()
    {
        await Scenario.CreateAsync(_server);
        var bad = await SimulateAsync(new { userId = "ana", category = "mention", rule = "steps:\n  - to: everyone\n    via: inApp\n" }, HttpStatusCode.BadRequest);
        Assert.Equal("invalid-rule", bad.GetProperty("code").GetString());
        Assert.Contains("unknown target 'everyone'", bad.GetProperty("errors").GetProperty("rule")[0].GetString());

        Assert.Equal("unknown-device", (await SimulateAsync(new { userId = "ana", category = "mention", step = 2, deliveredTo = new[] { "dev_nope" } }, HttpStatusCode.BadRequest))
            .GetProperty("code").GetString());
        Assert.Equal("invalid-step", (await SimulateAsync(new { userId = "ana", category = "mention", deliveredTo = Array.Empty<string>() , step = 0 }, HttpStatusCode.BadRequest))
            .GetProperty("code").GetString());
        Assert.Equal("invalid-field", (await SimulateAsync(new { category = "mention", user = new { timeZone = "UTC" }, devices = new object?[] { null } }, HttpStatusCode.BadRequest))
            .GetProperty("code").GetString());
        // A huge ttl is capped at Delivery:MaxTtl (28 days), as notify caps it: not an overflow, not a 500.
        var capped = await SimulateAsync(new
        {
            category = "mention", ttl = "P3650D", at = "2026-12-01T12:00:00Z", user = new { timeZone = "UTC" },
            devices = new[] { new { platform = "desktop", state = new { online = true, presence = "active" } } },
        });
        Assert.Contains(capped.GetProperty("timers").EnumerateArray(),
            t => t.GetProperty("kind").GetString() == "expire" && t.GetProperty("dueAt").GetDateTimeOffset() == DateTimeOffset.Parse("2026-12-29T12:00:00Z"));
        var tooLong = await SimulateAsync(new { userId = "ana", category = "mention", ttl = "P10000000D" }, HttpStatusCode.BadRequest);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("ttl", out _), tooLong.ToString());
        foreach (var at in new[] { "0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z" })
        {
            var problem = await SimulateAsync(new { userId = "ana", category = "mention", at }, HttpStatusCode.BadRequest);
            Assert.Equal("invalid-at", problem.GetProperty("code").GetString());
            Assert.True(problem.GetProperty("errors").TryGetProperty("at", out _), problem.ToString());
        }
    }

    private async Task<JsonElement> SimulateAsync(object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await _admin.PostAsJsonAsync("/v1/simulate?appId=default", body);
        Assert.True(expected == response.StatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static List<string> Lines(JsonElement trace) => [.. trace.EnumerateArray().Select(t =>
        $"{(t.TryGetProperty("kind", out var k) ? k.GetString() : "note")}|{(t.TryGetProperty("step", out var s) ? s.ToString() : "")}|" +
        $"{(t.TryGetProperty("deviceId", out var d) ? d.GetString() : "")}|{t.GetProperty("message").GetString()}")];
}
