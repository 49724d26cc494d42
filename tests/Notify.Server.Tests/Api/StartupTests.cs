using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Notify.Server.Auth;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Api;

public class StartupTests
{
    [Fact]
    public void OutsideDevelopment_ShortKey_RefusesToStart()
    {
        var error = Assert.ThrowsAny<Exception>(() => new NotifyTestServer(new Dictionary<string, string?> { ["Auth:Apps:0:Keys:0"] = "short" }, environment: "Production"));
        var validation = Assert.IsType<OptionsValidationException>(error.GetBaseException());
        Assert.Contains($"at least {AuthOptions.MinimumKeyLength} characters", validation.Message);
    }

    [Fact]
    public async Task InDevelopment_ShortKey_IsAllowed()
    {
        await using var server = new NotifyTestServer(new Dictionary<string, string?> { ["Auth:Apps:0:Keys:0"] = "dev-app-key" }, environment: "Development");
        using var http = server.Http("dev-app-key");
        var response = await http.PutAsJsonAsync("/v1/users/ana", new { timeZone = "UTC" });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Ready_ReportsStoreAndRules_AndABrokenRuleFile()
    {
        await using var server = new NotifyTestServer(rules: new Dictionary<string, string>
        {
            ["default.yaml"] = NotifyTestServer.DefaultRule,
            ["broken.yaml"] = "steps:\n  - to: nobody\n    via: inApp\n",
        });
        using var http = server.Http();

        var response = await http.GetAsync("/health/ready");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Degraded", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task NoRules_NotReady()
    {
        await using var server = new NotifyTestServer(rules: new Dictionary<string, string>());
        using var http = server.Http();
        var response = await http.GetAsync("/health/ready");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task OpenApi_DescribesTheEndpoints()
    {
        await using var server = new NotifyTestServer();
        using var http = server.Http();
        var doc = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/notify", paths);
        Assert.Contains("/v1/notifications/{id}", paths);
        Assert.Contains("/v1/users/{userId}/devices", paths);
        Assert.Contains("/v1/realtime", paths);
        var notify = doc.GetProperty("paths").GetProperty("/v1/notify").GetProperty("post").GetProperty("responses");
        Assert.True(notify.TryGetProperty("202", out var accepted) && accepted.TryGetProperty("content", out _), "notify documents its 202 body");
        Assert.True(notify.TryGetProperty("400", out _));
    }
}

public class MetricsTests
{
    [Fact]
    public async Task Metrics_PrometheusText_CountsNotifications()
    {
        await using var server = new NotifyTestServer();
        await using var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("laptop", Notify.Client.Platform.Desktop);
        await ana.ConnectAsync("laptop", Notify.Client.Presence.Active);
        await ana.NotifyAsync();
        using var http = server.Http();

        // The meter adapter hands measurements to Prometheus on its own thread: poll until they show, with a deadline.
        var deadline = Waits.Deadline();
        var text = await http.GetStringAsync("/metrics", deadline);
        while (!text.Contains("accepted", StringComparison.Ordinal) && !deadline.IsCancellationRequested)
        {
            await Task.Delay(50, deadline);
            text = await http.GetStringAsync("/metrics", deadline);
        }

        // The adapter is process-wide and other tests' servers run in this process too: counts are at least ours.
        Assert.Matches(@"notify_notifications_accepted\w*\{[^}]*status=""delivered""[^}]*\} [1-9]", text);
        Assert.Matches(@"notify_deliveries\w*\{[^}]*channel=""inApp""[^}]*\} [1-9]", text);
        // Gauges of several hosts in one process share a name; the adapter shows one of them, so only check it is there.
        Assert.Matches(@"notify_connections\w* \d+", text);
    }
}
