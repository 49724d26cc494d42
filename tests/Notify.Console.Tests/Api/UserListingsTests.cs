using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Console.Tests.Api;

public sealed class UserListingsTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer();
        using var app = _server.App();
        foreach (var id in new[] { "cleo", "ana", "bob" }) await app.PutUserAsync(id, new UserRequest { TimeZone = "UTC" });
        using var other = _server.App(NotifyTestServer.OtherAppKey);
        await other.PutUserAsync("carl", new UserRequest { TimeZone = "Europe/Lisbon" });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string[] Ids(JsonElement page, string field = "users") =>
        page.GetProperty(field).EnumerateArray().Select(u => u.GetProperty("id").GetString()!).ToArray();

    [Fact]
    public async Task ListUsers_AppKey_SeesOnlyItsOwnAppSortedById()
    {
        using var http = _server.Http(NotifyTestServer.AppKey);

        var page = await JsonAsync(await http.GetAsync("/v1/users"));

        Assert.Equal(["ana", "bob", "cleo"], Ids(page));
        Assert.False(page.TryGetProperty("next", out _));
        Assert.Equal("default", page.GetProperty("users")[0].GetProperty("appId").GetString());
    }

    [Fact]
    public async Task ListUsers_AdminWithoutAppId_SeesEveryApp()
    {
        using var http = _server.Http(NotifyTestServer.AdminKey);

        var all = await JsonAsync(await http.GetAsync("/v1/users"));
        var other = await JsonAsync(await http.GetAsync("/v1/users?appId=other"));

        Assert.Equal(["ana", "bob", "cleo", "carl"], Ids(all));
        Assert.Equal("other", all.GetProperty("users")[3].GetProperty("appId").GetString());
        Assert.Equal(["carl"], Ids(other));
    }

    [Fact]
    public async Task ListUsers_Pages_ReturnEachUserOnceInOrder()
    {
        using var http = _server.Http(NotifyTestServer.AdminKey);
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await JsonAsync(await http.GetAsync("/v1/users?limit=3" + (cursor is null ? "" : "&cursor=" + cursor)));
            seen.AddRange(Ids(page));
            cursor = page.TryGetProperty("next", out var next) ? next.GetString() : null;
        } while (cursor is not null);

        Assert.Equal(["ana", "bob", "cleo", "carl"], seen);
    }

    [Theory]
    [InlineData("/v1/users?limit=0", "invalid-field")]
    [InlineData("/v1/users?limit=201", "invalid-field")]
    [InlineData("/v1/users?cursor=!!", "invalid-field")]
    [InlineData("/v1/users?appId=nope", "not-found")]
    public async Task ListUsers_BadQuery_IsAProblemWithCode(string path, string code)
    {
        using var http = _server.Http(NotifyTestServer.AdminKey);

        var response = await http.GetAsync(path);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task RecentNotifications_NewestFirst_PagesWithBefore()
    {
        using var app = _server.App();
        await app.RegisterDeviceAsync("ana", new DeviceRegistration { Platform = Platform.Web, Name = "Ana browser" });
        var ids = new List<string>();
        foreach (var title in new[] { "one", "two", "three" })
        {
            ids.Add((await app.NotifyAsync(new NotifyRequest { UserId = "ana", Category = "mention", Title = title })).NotificationId);
            _server.Time.Advance(TimeSpan.FromSeconds(1));
        }
        using var http = _server.Http(NotifyTestServer.AppKey);

        var first = await JsonAsync(await http.GetAsync("/v1/users/ana/notifications?limit=2"));
        var second = await JsonAsync(await http.GetAsync("/v1/users/ana/notifications?limit=2&before=" + first.GetProperty("next").GetString()));

        Assert.Equal([ids[2], ids[1]], Ids(first, "notifications"));
        Assert.Equal([ids[0]], Ids(second, "notifications"));
        Assert.False(second.TryGetProperty("next", out _));
        var newest = first.GetProperty("notifications")[0];
        Assert.Equal("three", newest.GetProperty("title").GetString());
        Assert.Equal("mention", newest.GetProperty("category").GetString());
        Assert.Equal("scheduled", newest.GetProperty("status").GetString());
    }

    [Fact]
    public async Task RecentNotifications_UnknownUser_IsUserNotFound()
    {
        using var http = _server.Http(NotifyTestServer.AppKey);

        var response = await http.GetAsync("/v1/users/nobody/notifications");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("user-not-found", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }
}
