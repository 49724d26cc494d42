using System.Net;
using System.Text.Json.Nodes;
using Notify.Client.Apps;

namespace Notify.Client.Tests.Apps;

public class NotifyAppClientTests
{
    private static (NotifyAppClient Client, FakeHandler Handler) Create(HttpStatusCode status, string body,
        string mediaType = "application/json")
    {
        var handler = new FakeHandler(status, body, mediaType);
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://notify.test/prefix") };
        return (new NotifyAppClient(http, "app-key"), handler);
    }

    [Fact]
    public async Task NotifyAsync_OptionalFieldsUnset_SendsCamelCaseWithoutNulls()
    {
        var (client, handler) = Create(HttpStatusCode.Accepted,
            """{"notificationId":"n1","status":"delivered","decision":{"deviceId":"d1","channel":"inApp","reason":"attention","extra":1}}""");

        var response = await client.NotifyAsync(new NotifyRequest
        {
            UserId = "u1",
            Category = "mention",
            Data = new JsonObject { ["threadId"] = "t9" },
            Priority = Priority.Critical,
            Ttl = TimeSpan.FromHours(1),
        });

        Assert.Equal(HttpMethod.Post, handler.Request!.Method);
        Assert.Equal("http://notify.test/prefix/v1/notify", handler.Request.RequestUri!.ToString());
        Assert.Equal("Bearer app-key", handler.Request.Headers.Authorization!.ToString());
        Assert.Equal("""{"userId":"u1","category":"mention","data":{"threadId":"t9"},"priority":"critical","ttl":"PT1H"}""",
            handler.RequestBody);
        Assert.Equal("n1", response.NotificationId);
        Assert.Equal(NotificationStatus.Delivered, response.Status);
        Assert.Equal(Channel.InApp, response.Decision!.Channel);
        Assert.False(response.IsReplay);
    }

    [Fact]
    public async Task NotifyAsync_Answered200_IsReplay()
    {
        var (client, _) = Create(HttpStatusCode.OK, """{"notificationId":"n1","status":"scheduled"}""");

        var response = await client.NotifyAsync(new NotifyRequest { UserId = "u1", Category = "c", IdempotencyKey = "evt-1" });

        Assert.True(response.IsReplay);
        Assert.Equal(NotificationStatus.Scheduled, response.Status);
    }

    [Fact]
    public async Task PutUserAsync_ProblemDetails_ThrowsWithCodeAndDetail()
    {
        var (client, _) = Create(HttpStatusCode.BadRequest,
            """{"type":"https://notify.dev/errors/invalid-time-zone","title":"Invalid time zone","status":400,"detail":"'Mars/Base' is not an IANA time zone; write one such as Europe/Lisbon.","code":"invalid-time-zone","errors":{"timeZone":["unknown"]}}""",
            "application/problem+json");

        var ex = await Assert.ThrowsAsync<NotifyApiException>(() =>
            client.PutUserAsync("u1", new UserRequest { TimeZone = "Mars/Base" }));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("invalid-time-zone", ex.Code);
        Assert.Equal("Invalid time zone", ex.Title);
        Assert.StartsWith("'Mars/Base'", ex.Detail);
        Assert.Equal("unknown", ex.Errors!.Value.GetProperty("timeZone")[0].GetString());
        Assert.Contains("invalid-time-zone", ex.Message);
    }

    [Fact]
    public async Task GetUserAsync_NotProblemBody_ThrowsWithBodyAsDetail()
    {
        var (client, _) = Create(HttpStatusCode.BadGateway, "<html>upstream down</html>", "text/html");

        var ex = await Assert.ThrowsAsync<NotifyApiException>(() => client.GetUserAsync("u1"));

        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Null(ex.Code);
        Assert.Equal("<html>upstream down</html>", ex.Detail);
    }

    [Fact]
    public async Task GetUserAsync_DevicesWithUnknownFields_Deserializes()
    {
        var (client, handler) = Create(HttpStatusCode.OK, """
            {"id":"u 1","email":null,"timeZone":"Europe/Lisbon","createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z",
             "future":true,
             "devices":[{"id":"d1","platform":"ios","push":{"provider":"apns"},
                         "state":{"online":true,"presence":"idle","battery":{"level":0.5,"charging":false},
                                  "connectivity":{"type":"cellular","metered":true},"somethingNew":{}}}]}
            """);

        var user = await client.GetUserAsync("u 1");

        Assert.Equal("http://notify.test/prefix/v1/users/u%201", handler.Request!.RequestUri!.AbsoluteUri);
        var device = Assert.Single(user.Devices);
        Assert.Equal(Platform.Ios, device.Platform);
        Assert.True(device.State.Online);
        Assert.Equal(Presence.Idle, device.State.Presence);
        Assert.Equal(ConnectivityType.Cellular, device.State.Connectivity!.Type);
    }

    [Fact]
    public async Task PutQuietHoursAsync_Window_SendsDaysAndHourMinute()
    {
        var (client, handler) = Create(HttpStatusCode.NoContent, "");

        await client.PutQuietHoursAsync("u1", new QuietHours
        {
            Windows = [new QuietWindow { Days = [Weekday.Mon, Weekday.Fri], From = new TimeOnly(22, 0), To = new TimeOnly(7, 30) }],
            Allow = [Priority.Critical],
        });

        Assert.Equal("""{"windows":[{"days":["mon","fri"],"from":"22:00","to":"07:30"}],"allow":["critical"]}""",
            handler.RequestBody);
    }
}
