using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Notify.Server.Tests.Infrastructure;
using Notify.Server.Tests.Rules;

namespace Notify.Server.Tests.Storage;

/// <summary>
/// The server on <c>Storage:Provider = mongodb</c> with nothing listening at the address (127.0.0.1:1): it starts, says it is
/// not ready and why, and answers requests with a 503 problem after one server selection instead of hanging. No MongoDB
/// server runs here, so this is the only MongoDB path these tests exercise end to end.
/// </summary>
public sealed class MongoUnreachableTests
{
    private static readonly TimeSpan SelectionTimeout = TimeSpan.FromSeconds(2);

    // With the default rule: its version cannot reach the store yet, and the node starts all the same.
    private static NotifyTestServer Start() => new(new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "mongodb",
        ["Storage:MongoDB:ConnectionString"] = "mongodb://127.0.0.1:1/?directConnection=true",
        ["Storage:MongoDB:Database"] = "notify",
        ["Storage:MongoDB:ServerSelectionTimeout"] = SelectionTimeout.ToString(),
    }, rules: new Dictionary<string, string> { ["default.yaml"] = NotifyTestServer.DefaultRule });

    [Fact]
    public async Task Ready_MongoDbUnreachable_503_StoreCheckNamesMongoDbAndTheAddress()
    {
        await using var server = Start();
        using var http = server.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var store = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("store");
        Assert.Equal("Unhealthy", store.GetProperty("status").GetString());
        Assert.StartsWith("MongoDB at 127.0.0.1:1 is unreachable", store.GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);

        // The rules folder went live although its versions could not be saved yet.
        using var admin = server.Http(NotifyTestServer.AdminKey);
        using var rules = await admin.GetAsync("/v1/rules/default");
        Assert.Equal(HttpStatusCode.OK, rules.StatusCode);
    }

    [Fact]
    public async Task Notify_MongoDbUnreachable_503StoreUnavailableProblem_AfterOneServerSelection()
    {
        await using var server = Start();
        using var http = server.Http(NotifyTestServer.AppKey);
        var clock = Stopwatch.StartNew();

        using var response = await http.PostAsJsonAsync("/v1/notify", new { userId = "ana", category = "mention", title = "hi" });

        clock.Stop();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("store-unavailable", problem.GetProperty("code").GetString());
        Assert.DoesNotContain("127.0.0.1", problem.GetProperty("detail").GetString());
        // One selection timeout, plus room for a loaded machine; a hang would be the driver's 30 s or the client's 100 s.
        Assert.True(clock.Elapsed < SelectionTimeout * 4, $"answered after {clock.Elapsed}");

        // Nothing caches the failure: the next request tries the server again, and fails again the same way.
        using var again = await http.PostAsJsonAsync("/v1/notify", new { userId = "ana", category = "mention" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
    }

    [Fact]
    public async Task PutRule_MongoDbUnreachable_503_AndTheFolderIsUnchanged()
    {
        await using var server = Start();
        using var admin = server.Http(NotifyTestServer.AdminKey);

        using var response = await admin.PutAsync("/v1/rules/billing",
            new StringContent("match: { category: billing }\nsteps:\n  - to: best\n    via: inApp\n", System.Text.Encoding.UTF8, "application/yaml"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("store-unavailable", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.False(File.Exists(Path.Combine(server.RulesFolder(), "billing.yaml")));
    }
}
