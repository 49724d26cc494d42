using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Notify.Client;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.QuietHours;

public sealed class SimulateTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _server = new NotifyTestServer(rules: new Dictionary<string, string> { ["default.yaml"] = NotifyTestServer.DefaultRule });
        _admin = _server.Http(NotifyTestServer.AdminKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<JsonElement> SimulateAsync(object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await _admin.PostAsJsonAsync("/v1/simulate?appId=default", body);
        Assert.True(expected == response.StatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Simulate_InlineUserAndDevices_DecisionAndTrace_NothingStored()
    {
        var result = await SimulateAsync(new
        {
            category = "mention",
            at = "2026-12-01T12:00:00Z",
            user = new { timeZone = "Europe/Lisbon" },
            devices = new object[]
            {
                new { id = "laptop", platform = "desktop", state = new { online = true, presence = "active" } },
                new { id = "phone", platform = "ios", state = new { online = true, presence = "idle" } },
            },
        });

        Assert.Equal("delivered", result.GetProperty("status").GetString());
        Assert.Equal("laptop", result.GetProperty("decision").GetProperty("deviceId").GetString());
        Assert.Equal("default", result.GetProperty("rule").GetString());
        var trace = result.GetProperty("trace").EnumerateArray().Select(t => t.GetProperty("message").GetString()).ToList();
        Assert.Contains(trace, m => m!.Contains("phone") && m.Contains("not online and active"));
        Assert.Equal(0, _server.Count("notifications"));
    }

    [Fact]
    public async Task Simulate_AtAnInstantInQuietHours_Held_UntilTheRealLocalEnd()
    {
        // New York springs forward on 2027-03-14: a 22:00-07:00 window ends at 07:00 EDT = 11:00 UTC, not 12:00.
        var result = await SimulateAsync(new
        {
            category = "mention",
            ttl = "12h",
            at = "2027-03-14T05:00:00Z",
            user = new { timeZone = "America/New_York", quietHours = new { windows = new[] { new { days = new[] { "sat" }, from = "22:00", to = "07:00" } } } },
            devices = new object[] { new { platform = "ios", state = new { online = true, presence = "active" } } },
        });

        Assert.Equal("held", result.GetProperty("status").GetString());
        Assert.Equal(new DateTimeOffset(2027, 3, 14, 11, 0, 0, TimeSpan.Zero), result.GetProperty("decision").GetProperty("deliverAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Simulate_ExistingUser_FromAFollowUpStep()
    {
        using var app = _server.App();
        await app.PutUserAsync("ana", new Notify.Client.Apps.UserRequest { TimeZone = "UTC" });
        await app.RegisterDeviceAsync("ana", new Notify.Client.Apps.DeviceRegistration { Platform = Platform.Android, Name = "phone" });

        var result = await SimulateAsync(new { userId = "ana", category = "mention", step = 2 });

        Assert.Equal("scheduled", result.GetProperty("status").GetString());
        Assert.Contains("step 2", result.GetProperty("decision").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Simulate_BadInput_ClearProblems()
    {
        Assert.Equal("user-not-found", (await SimulateAsync(new { userId = "nobody", category = "mention" }, HttpStatusCode.NotFound)).GetProperty("code").GetString());
        Assert.Equal("invalid-time-zone", (await SimulateAsync(new { category = "mention", user = new { timeZone = "Mars/Base" } }, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        Assert.Equal("invalid-step", (await SimulateAsync(new { category = "mention", step = 9, user = new { timeZone = "UTC" } }, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        Assert.Equal("unknown-field", (await SimulateAsync(new { category = "mention", user = new { timeZone = "UTC", mood = "sleepy" } }, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
    }
}
