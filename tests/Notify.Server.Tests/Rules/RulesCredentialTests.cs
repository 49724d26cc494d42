using System.Net;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Rules;

/// <summary>The rules endpoints are for the admin key only: no credential 401, an app key or a device token 403.</summary>
public sealed class RulesCredentialTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private string _deviceToken = "";

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer();
        using var app = _server.App();
        await app.PutUserAsync("ana", new UserRequest { TimeZone = "UTC" });
        _deviceToken = (await app.RegisterDeviceAsync("ana", new DeviceRegistration { Platform = Platform.Ios })).DeviceToken;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string, string, int> Cases()
    {
        var data = new TheoryData<string, string, string, int>();
        var endpoints = new[] { ("GET", "/v1/rules"), ("GET", "/v1/rules/default"), ("PUT", "/v1/rules/billing"), ("DELETE", "/v1/rules/default"), ("POST", "/v1/rules/validate") };
        foreach (var (method, path) in endpoints)
            foreach (var (who, status) in new[] { ("none", 401), ("bogus", 401), ("app", 403), ("device", 403) })
                data.Add(method, path, who, status);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RulesEndpoint_WithoutTheAdminKey_IsRefused(string method, string path, string who, int expected)
    {
        using var http = _server.Http(who switch
        {
            "none" => null,
            "bogus" => "not-a-known-key-0123456789-0123456789",
            "app" => NotifyTestServer.AppKey,
            _ => _deviceToken,
        });

        var (status, body) = await http.SendAsync(new HttpMethod(method), path, method is "PUT" or "POST" ? RulesHttp.Billing : null);

        Assert.Equal(expected, (int)status);
        Assert.Equal(expected == 401 ? "unauthorized" : "forbidden", body.GetProperty("code").GetString());
        Assert.True(_server.Rules().Rules.ContainsKey("default"));
        Assert.False(File.Exists(Path.Combine(_server.RulesFolder(), "billing.yaml")));
    }

    [Fact]
    public async Task RulesEndpoints_WithTheAdminKey_Answer()
    {
        using var http = _server.Http(NotifyTestServer.AdminKey);

        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(HttpMethod.Get, "/v1/rules")).Status);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(HttpMethod.Post, "/v1/rules/validate", RulesHttp.Billing)).Status);
        Assert.Equal(HttpStatusCode.Created, (await http.PutRuleAsync("billing", RulesHttp.Billing)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(HttpMethod.Delete, "/v1/rules/billing")).Status);
    }
}
