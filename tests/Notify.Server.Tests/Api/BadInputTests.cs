using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Api;

/// <summary>Bad input gets a clear problem with a stable code, and nothing is half-written.</summary>
public sealed partial class BadInputTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer(rules: new Dictionary<string, string>
        {
            ["mention.yaml"] = "match: { category: mention }\nsteps:\n  - to: best\n    via: inApp\n",
        });
        _http = _server.Http(NotifyTestServer.AppKey);
        using var app = _server.App();
        await app.PutUserAsync("ana", new UserRequest { TimeZone = "Europe/Lisbon" });
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Problem)> SendAsync(HttpMethod method, string path, string body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    [Theory]
    [InlineData("""{"userId":"ana","category":"mention",""", 400, "invalid-json")]
    [InlineData("""{"userId":"ana","category":"mention","urgent":true}""", 400, "unknown-field")]
    [InlineData("""{"userId":"ana","category":"mention","title":5}""", 400, "invalid-field")]
    [InlineData("""{"category":"mention"}""", 400, "missing-field")]
    [InlineData("""{"userId":"ana"}""", 400, "missing-field")]
    [InlineData("""{"userId":"ana","category":"no spaces please"}""", 400, "invalid-category")]
    [InlineData("""{"userId":"ana","category":"mention","priority":"urgent"}""", 400, "invalid-priority")]
    [InlineData("""{"userId":"ana","category":"mention","ttl":"soon"}""", 400, "invalid-duration")]
    [InlineData("""{"userId":"ana","category":"mention","ttl":"P1M"}""", 400, "invalid-duration")]
    [InlineData("""{"userId":"nobody","category":"mention"}""", 404, "user-not-found")]
    [InlineData("""{"userId":"ana","category":"billing"}""", 422, "unknown-category")]
    public async Task Notify_BadInput_ClearProblem_NothingStored(string body, int status, string code)
    {
        var (actual, problem) = await SendAsync(HttpMethod.Post, "/v1/notify", body);

        Assert.Equal(status, (int)actual);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(0, _server.Count("notifications"));
        Assert.Equal(0, _server.Count("timers"));
    }

    [Fact]
    public async Task Notify_WrongType_SaysWhatToSendInJsonTerms()
    {
        var (_, problem) = await SendAsync(HttpMethod.Post, "/v1/notify", """{"userId":"ana","category":"mention","title":5}""");
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("'$.title'", detail);
        Assert.Contains("expected a string", detail);
        Assert.DoesNotContain("Notify.Server", detail);
    }

    [Theory]
    [InlineData("/v1/users/ana/devices", """{"platform":"toaster"}""", "one of ios, android, web, desktop, watch")]
    public async Task WrongEnumValue_ListsTheValues(string path, string body, string expected)
    {
        var (_, problem) = await SendAsync(HttpMethod.Post, path, body);
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Notify_PriorityAnyCase_IsAccepted()
    {
        var (status, _) = await SendAsync(HttpMethod.Post, "/v1/notify", """{"userId":"ana","category":"mention","priority":"High"}""");
        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    [Fact]
    public async Task Notify_UnknownCategory_NamesTheKnownOnes()
    {
        var (_, problem) = await SendAsync(HttpMethod.Post, "/v1/notify", """{"userId":"ana","category":"billing"}""");
        Assert.Contains("mention", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Notify_OversizedBody_413()
    {
        var body = JsonSerializer.Serialize(new { userId = "ana", category = "mention", body = new string('x', 70_000) });
        var (status, problem) = await SendAsync(HttpMethod.Post, "/v1/notify", body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("payload-too-large", problem.GetProperty("code").GetString());
        Assert.Equal(0, _server.Count("notifications"));
    }

    [Fact]
    public async Task Notify_DataOverPushLimit_400()
    {
        var body = JsonSerializer.Serialize(new { userId = "ana", category = "mention", data = new { blob = new string('x', 5000) } });
        var (status, problem) = await SendAsync(HttpMethod.Post, "/v1/notify", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("data-too-large", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Notify_NotJson_415()
    {
        var (status, problem) = await SendAsync(HttpMethod.Post, "/v1/notify", "userId=ana", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("unsupported-media-type", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task PutUser_UnknownTimeZone_400NamingIt_UserUnchanged()
    {
        var (status, problem) = await SendAsync(HttpMethod.Put, "/v1/users/ana", """{"timeZone":"Europe/Atlantis"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid-time-zone", problem.GetProperty("code").GetString());
        Assert.Contains("Europe/Atlantis", problem.GetProperty("detail").GetString());
        Assert.Equal("timeZone", problem.GetProperty("errors").EnumerateObject().Single().Name);
        using var app = _server.App();
        Assert.Equal("Europe/Lisbon", (await app.GetUserAsync("ana")).TimeZone);
    }

    [Theory]
    [InlineData("""{}""", "missing-field")]
    [InlineData("""{"timeZone":"UTC","email":"not an email"}""", "invalid-email")]
    [InlineData("""{"timeZone":"UTC","nickname":"a"}""", "unknown-field")]
    public async Task PutUser_BadInput(string body, string code)
    {
        var (status, problem) = await SendAsync(HttpMethod.Put, "/v1/users/zoe", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(1, _server.Count("users"));
    }

    [Theory]
    [InlineData("""{}""", "missing-field")]
    [InlineData("""{"platform":"toaster"}""", "invalid-field")]
    [InlineData("""{"platform":"ios","push":{"provider":"sms","token":"x"}}""", "invalid-push")]
    [InlineData("""{"platform":"ios","push":{"provider":"apns"}}""", "invalid-push")]
    public async Task RegisterDevice_BadInput(string body, string code)
    {
        var (status, problem) = await SendAsync(HttpMethod.Post, "/v1/users/ana/devices", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(0, _server.Count("devices"));
    }

    [Fact]
    public async Task UnknownRoute_ProblemWithCode()
    {
        var (status, problem) = await SendAsync(HttpMethod.Post, "/v1/notifyy", "{}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not-found", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task RegisterDevice_UnknownUser_404()
    {
        var (status, problem) = await SendAsync(HttpMethod.Post, "/v1/users/nobody/devices", """{"platform":"ios"}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("user-not-found", problem.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("""{"battery":{"level":7,"charging":false}}""", "battery.level")]
    [InlineData("""{"battery":{"level":0.5}}""", "battery.charging")]
    [InlineData("""{"location":{"lat":120,"lon":0}}""", "location.lat")]
    [InlineData("""{"connectivity":{"metered":true}}""", "connectivity.type")]
    public async Task DeviceState_OutOfRange_400NamingTheField_NothingStored(string body, string field)
    {
        using var app = _server.App();
        var device = await app.RegisterDeviceAsync("ana", new DeviceRegistration { Platform = Platform.Ios });
        using var http = _server.Http(device.DeviceToken);

        var response = await http.PostAsync($"/v1/devices/{device.DeviceId}/state", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid-state", problem.GetProperty("code").GetString());
        Assert.Equal(field, problem.GetProperty("errors").EnumerateObject().Single().Name);
        var user = await app.GetUserAsync("ana");
        Assert.Null(user.Devices.Single().State!.Battery);
    }

    [Fact]
    public async Task DeviceState_Valid_IsVisibleInTheUser()
    {
        using var app = _server.App();
        var device = await app.RegisterDeviceAsync("ana", new DeviceRegistration { Platform = Platform.Android });
        await using var client = new Notify.Client.Devices.NotifyDeviceClient(_server.BaseAddress, device.DeviceToken,
            new Notify.Client.Devices.NotifyDeviceClientOptions { DeviceId = device.DeviceId });
        await client.ReportStateOverHttpAsync(new Notify.Client.Devices.DeviceStateReport
        {
            Presence = Presence.Active,
            Battery = new Notify.Client.Devices.BatteryState { Level = 0.42, Charging = true },
            Connectivity = new Notify.Client.Devices.ConnectivityState { Type = ConnectivityType.Wifi },
        });

        var state = (await app.GetUserAsync("ana")).Devices.Single().State!;
        Assert.Equal(0.42, state.Battery!.Level);
        Assert.Equal(Presence.Active, state.Presence);
        Assert.Equal(ConnectivityType.Wifi, state.Connectivity!.Type);
        Assert.False(state.Online);
    }
}
