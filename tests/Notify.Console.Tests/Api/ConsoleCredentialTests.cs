using System.Net.Http.Json;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Console.Tests.Api;

/// <summary>The console's endpoints refuse the wrong kind of credential (401/403) and hide other apps' users (404),
/// like every other endpoint (tests/Notify.Server.Tests/Auth/CredentialTests.cs).</summary>
public sealed class ConsoleCredentialTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private string _anaPhoneToken = "";

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer();
        using var app = _server.App();
        await app.PutUserAsync("ana", new UserRequest { TimeZone = "UTC" });
        _anaPhoneToken = (await app.RegisterDeviceAsync("ana", new DeviceRegistration { Platform = Platform.Ios })).DeviceToken;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string? Credential(string who) => who switch
    {
        "none" => null,
        "bogus" => "not-a-known-key-0123456789-0123456789",
        "app" => NotifyTestServer.AppKey,
        "otherApp" => NotifyTestServer.OtherAppKey,
        "admin" => NotifyTestServer.AdminKey,
        "anaPhone" => _anaPhoneToken,
        _ => throw new ArgumentOutOfRangeException(nameof(who)),
    };

    public static TheoryData<string, string, int> Cases => new()
    {
        { "/v1/users", "none", 401 },
        { "/v1/users", "bogus", 401 },
        { "/v1/users", "anaPhone", 403 },
        { "/v1/users", "app", 200 },
        { "/v1/users", "admin", 200 },
        { "/v1/users/ana/notifications", "none", 401 },
        { "/v1/users/ana/notifications", "anaPhone", 403 },
        { "/v1/users/ana/notifications", "otherApp", 404 },
        { "/v1/users/ana/notifications", "app", 200 },
        { "/v1/users/ana/notifications?appId=default", "admin", 200 },
        { "/v1/users/ana/notifications?appId=other", "admin", 404 },
        { "/v1/users/ana/notifications", "admin", 400 },
        { "/v1/users/ana/devices/events", "none", 401 },
        { "/v1/users/ana/devices/events", "bogus", 401 },
        { "/v1/users/ana/devices/events", "anaPhone", 403 },
        { "/v1/users/ana/devices/events", "otherApp", 404 },
        { "/v1/users/ana/devices/events?appId=other", "admin", 404 },
        { "/v1/users/ana/devices/events", "admin", 400 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_Credential_GetsTheExpectedStatus(string path, string who, int expected)
    {
        using var http = _server.Http(Credential(who));

        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);

        Assert.True(expected == (int)response.StatusCode, $"GET {path} as {who}: {(int)response.StatusCode}");
        if (expected >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
            Assert.True(problem!.ContainsKey("code"));
        }
    }
}
