using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Auth;

/// <summary>Every endpoint refuses the wrong kind of credential (401/403) and hides other apps' and users' data (404).</summary>
public sealed class CredentialTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private readonly Dictionary<string, string> _tokens = [];
    private readonly Dictionary<string, string> _ids = [];

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer();
        using var app = _server.App();
        await app.PutUserAsync("ana", new UserRequest { TimeZone = "UTC" });
        await app.PutUserAsync("bob", new UserRequest { TimeZone = "UTC" });
        foreach (var (name, user) in new[] { ("anaPhone", "ana"), ("anaLaptop", "ana"), ("bobPhone", "bob") })
        {
            var r = await app.RegisterDeviceAsync(user, new DeviceRegistration { Platform = Platform.Ios, Name = name });
            (_ids[name], _tokens[name]) = (r.DeviceId, r.DeviceToken);
        }
        _ids["notification"] = (await app.NotifyAsync(new NotifyRequest { UserId = "ana", Category = "mention" })).NotificationId;
        using var other = _server.App(NotifyTestServer.OtherAppKey);
        await other.PutUserAsync("carl", new UserRequest { TimeZone = "UTC" });
        var carl = await other.RegisterDeviceAsync("carl", new DeviceRegistration { Platform = Platform.Android });
        (_ids["carlPhone"], _tokens["carlPhone"]) = (carl.DeviceId, carl.DeviceToken);
        _ids["carlNotification"] = (await other.NotifyAsync(new NotifyRequest { UserId = "carl", Category = "mention" })).NotificationId;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string? Credential(string who) => who switch
    {
        "none" => null,
        "bogus" => "not-a-known-key-0123456789-0123456789",
        "app" => NotifyTestServer.AppKey,
        "otherApp" => NotifyTestServer.OtherAppKey,
        "admin" => NotifyTestServer.AdminKey,
        _ => _tokens[who],
    };

    private string Path(string template) => template
        .Replace("{notification}", _ids["notification"]).Replace("{carlNotification}", _ids["carlNotification"])
        .Replace("{anaPhone}", _ids["anaPhone"]).Replace("{anaLaptop}", _ids["anaLaptop"]).Replace("{bobPhone}", _ids["bobPhone"])
        .Replace("{carlPhone}", _ids["carlPhone"]);

    public static TheoryData<string, string, string?, string, int> Cases => new()
    {
        // method, path, json body, credential, expected status
        { "POST", "/v1/notify", """{"userId":"ana","category":"mention"}""", "none", 401 },
        { "POST", "/v1/notify", """{"userId":"ana","category":"mention"}""", "bogus", 401 },
        { "POST", "/v1/notify", """{"userId":"ana","category":"mention"}""", "anaPhone", 403 },
        { "POST", "/v1/notify", """{"userId":"ana","category":"mention"}""", "admin", 400 },
        { "POST", "/v1/notify?appId=default", """{"userId":"ana","category":"mention"}""", "admin", 202 },
        { "POST", "/v1/notify?appId=other", """{"userId":"ana","category":"mention"}""", "admin", 404 },
        { "POST", "/v1/notify", """{"userId":"ana","category":"mention"}""", "otherApp", 404 },
        { "POST", "/v1/notify", """{"userId":"ana","category":"mention"}""", "app", 202 },

        { "GET", "/v1/notifications/{notification}", null, "none", 401 },
        { "GET", "/v1/notifications/{notification}", null, "anaPhone", 403 },
        { "GET", "/v1/notifications/{notification}", null, "otherApp", 404 },
        { "GET", "/v1/notifications/{notification}", null, "app", 200 },
        { "GET", "/v1/notifications/{carlNotification}", null, "admin", 200 },

        { "POST", "/v1/notifications/{notification}/ack", """{"action":"seen"}""", "none", 401 },
        { "POST", "/v1/notifications/{notification}/ack", """{"action":"seen"}""", "app", 403 },
        { "POST", "/v1/notifications/{notification}/ack", """{"action":"seen"}""", "admin", 403 },
        { "POST", "/v1/notifications/{notification}/ack", """{"action":"seen"}""", "bobPhone", 404 },
        { "POST", "/v1/notifications/{notification}/ack", """{"action":"seen"}""", "carlPhone", 404 },
        { "POST", "/v1/notifications/{notification}/ack", """{"action":"seen"}""", "anaLaptop", 200 },

        { "PUT", "/v1/users/dan", """{"timeZone":"UTC"}""", "none", 401 },
        { "PUT", "/v1/users/dan", """{"timeZone":"UTC"}""", "anaPhone", 403 },
        { "PUT", "/v1/users/dan", """{"timeZone":"UTC"}""", "app", 201 },
        { "PUT", "/v1/users/dan?appId=other", """{"timeZone":"UTC"}""", "admin", 201 },

        { "GET", "/v1/users/ana", null, "none", 401 },
        { "GET", "/v1/users/ana", null, "bobPhone", 404 },
        { "GET", "/v1/users/ana", null, "carlPhone", 404 },
        { "GET", "/v1/users/ana", null, "otherApp", 404 },
        { "GET", "/v1/users/ana", null, "anaPhone", 200 },
        { "GET", "/v1/users/ana", null, "app", 200 },
        { "GET", "/v1/users/ana?appId=default", null, "admin", 200 },
        { "GET", "/v1/users/ana", null, "admin", 400 },

        { "POST", "/v1/users/ana/devices", """{"platform":"web"}""", "none", 401 },
        { "POST", "/v1/users/ana/devices", """{"platform":"web"}""", "anaPhone", 403 },
        { "POST", "/v1/users/ana/devices", """{"platform":"web"}""", "otherApp", 404 },
        { "POST", "/v1/users/ana/devices", """{"platform":"web"}""", "app", 201 },

        { "PATCH", "/v1/devices/{anaPhone}", """{"name":"renamed"}""", "none", 401 },
        { "PATCH", "/v1/devices/{anaPhone}", """{"name":"renamed"}""", "anaLaptop", 404 },
        { "PATCH", "/v1/devices/{anaPhone}", """{"name":"renamed"}""", "otherApp", 404 },
        { "PATCH", "/v1/devices/{anaPhone}", """{"name":"renamed"}""", "anaPhone", 200 },
        { "PATCH", "/v1/devices/{anaPhone}", """{"name":"renamed"}""", "app", 200 },

        { "DELETE", "/v1/devices/{bobPhone}", null, "none", 401 },
        { "DELETE", "/v1/devices/{bobPhone}", null, "bobPhone", 403 },
        { "DELETE", "/v1/devices/{bobPhone}", null, "otherApp", 404 },
        { "DELETE", "/v1/devices/{bobPhone}", null, "app", 204 },

        { "POST", "/v1/devices/{anaPhone}/state", """{"presence":"active"}""", "none", 401 },
        { "POST", "/v1/devices/{anaPhone}/state", """{"presence":"active"}""", "app", 403 },
        { "POST", "/v1/devices/{anaPhone}/state", """{"presence":"active"}""", "admin", 403 },
        { "POST", "/v1/devices/{anaPhone}/state", """{"presence":"active"}""", "anaLaptop", 404 },
        { "POST", "/v1/devices/{anaPhone}/state", """{"presence":"active"}""", "anaPhone", 200 },

        { "GET", "/v1/realtime/events", null, "none", 401 },
        { "GET", "/v1/realtime/events", null, "app", 403 },
        { "GET", "/v1/realtime/events", null, "admin", 403 },

        { "PUT", "/v1/users/ana/quiet-hours", """{"windows":[]}""", "none", 401 },
        { "PUT", "/v1/users/ana/quiet-hours", """{"windows":[]}""", "bobPhone", 404 },
        { "PUT", "/v1/users/ana/quiet-hours", """{"windows":[]}""", "otherApp", 404 },
        { "PUT", "/v1/users/ana/quiet-hours", """{"windows":[]}""", "anaPhone", 200 },
        { "PUT", "/v1/users/ana/quiet-hours", """{"windows":[]}""", "app", 200 },
        { "GET", "/v1/users/ana/quiet-hours", null, "none", 401 },
        { "GET", "/v1/users/ana/quiet-hours", null, "carlPhone", 404 },
        { "GET", "/v1/users/ana/quiet-hours", null, "anaLaptop", 200 },
        { "PUT", "/v1/users/ana/preferences", """{"categories":{}}""", "none", 401 },
        { "PUT", "/v1/users/ana/preferences", """{"categories":{}}""", "bobPhone", 404 },
        { "PUT", "/v1/users/ana/preferences", """{"categories":{}}""", "otherApp", 404 },
        { "PUT", "/v1/users/ana/preferences", """{"categories":{}}""", "anaPhone", 200 },
        { "PUT", "/v1/users/ana/preferences?appId=default", """{"categories":{}}""", "admin", 200 },
        { "GET", "/v1/users/ana/preferences", null, "none", 401 },
        { "GET", "/v1/users/ana/preferences", null, "app", 200 },

        { "POST", "/v1/simulate?appId=default", """{"userId":"ana","category":"mention"}""", "none", 401 },
        { "POST", "/v1/simulate?appId=default", """{"userId":"ana","category":"mention"}""", "app", 403 },
        { "POST", "/v1/simulate?appId=default", """{"userId":"ana","category":"mention"}""", "anaPhone", 403 },
        { "POST", "/v1/simulate?appId=default", """{"userId":"ana","category":"mention"}""", "admin", 200 },
        { "GET", "/metrics", null, "none", 200 },

        { "GET", "/health/live", null, "none", 200 },
        { "GET", "/health/ready", null, "none", 200 },
        { "GET", "/openapi/v1.json", null, "none", 200 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_Credential_GetsTheExpectedStatus(string method, string path, string? body, string who, int expected)
    {
        using var http = _server.Http(Credential(who));
        using var request = new HttpRequestMessage(new HttpMethod(method), Path(path));
        if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await http.SendAsync(request);

        Assert.True(expected == (int)response.StatusCode, $"{method} {path} as {who}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        if (expected is 401 or 403 or 404)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
            Assert.True(problem!.ContainsKey("code"));
        }
    }

    [Theory]
    [InlineData("none", HttpStatusCode.Unauthorized)]
    [InlineData("app", HttpStatusCode.Forbidden)]
    [InlineData("admin", HttpStatusCode.Forbidden)]
    public async Task WebSocket_WrongCredential_IsRefusedAtTheUpgrade(string who, HttpStatusCode expected)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (Credential(who) is { } key) socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        var uri = new Uri(_server.BaseAddress.ToString().Replace("http", "ws") + "v1/realtime");

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, Waits.Deadline()));
        Assert.Equal(expected, socket.HttpStatusCode);
    }

    [Fact]
    public async Task WebSocket_AccessTokenInQuery_IsAcceptedForRealtimeOnly()
    {
        using var socket = new ClientWebSocket();
        var uri = new Uri(_server.BaseAddress.ToString().Replace("http", "ws") + "v1/realtime?access_token=" + _tokens["anaPhone"]);
        await socket.ConnectAsync(uri, Waits.Deadline());
        Assert.Equal(WebSocketState.Open, socket.State);

        using var http = _server.Http();
        var response = await http.GetAsync("/v1/users/ana?access_token=" + _tokens["anaPhone"]);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task DeletedDevice_TokenIsRevoked()
    {
        using var app = _server.App();
        await app.DeleteDeviceAsync(_ids["anaLaptop"]);

        using var http = _server.Http(_tokens["anaLaptop"]);
        var response = await http.PostAsJsonAsync($"/v1/devices/{_ids["anaLaptop"]}/state", new { presence = "active" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, _server.Count($"devices WHERE id = '{_ids["anaLaptop"]}'"));
    }

    [Fact]
    public async Task DeviceTokens_AreStoredHashed()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_server.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT group_concat(token_hash || coalesce(state_json, '') || coalesce(push_json, ''), '|') FROM devices";
        var stored = (string)(await cmd.ExecuteScalarAsync())!;
        Assert.All(_tokens.Values, token => Assert.DoesNotContain(token, stored));
    }
}
