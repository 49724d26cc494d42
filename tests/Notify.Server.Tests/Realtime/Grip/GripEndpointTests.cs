using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Notify.Client;
using Notify.Engine.Devices;
using Notify.Server.Realtime.Grip;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Realtime.Grip;

/// <summary>The GRIP endpoints as Pushpin calls them (requests signed by the test), publishing to a fake control endpoint.</summary>
public sealed class GripEndpointTests : IAsyncLifetime
{
    private FakePushpinControl _control = null!;
    private NotifyTestServer _server = null!;
    private Scenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _control = await FakePushpinControl.StartAsync();
        _server = new NotifyTestServer(new Dictionary<string, string?>
        {
            ["Realtime:Grip:ControlUri"] = _control.BaseAddress.ToString(),
            ["Realtime:Grip:Key"] = GripSignatureTests.Key,
            ["Realtime:HeartbeatTimeout"] = "00:01:15",
        });
        _scenario = await Scenario.CreateAsync(_server);
        await _scenario.RegisterAsync("phone", Platform.Android);
    }

    public async Task DisposeAsync()
    {
        await _scenario.DisposeAsync();
        await _server.DisposeAsync();
        await _control.DisposeAsync();
    }

    private HttpRequestMessage Events(string body, bool signed = true, string? lastSeen = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"v1/realtime?access_token={Uri.EscapeDataString(_scenario.Devices["phone"].Token)}")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(WebSocketEvents.ContentType);
        request.Headers.Add("Connection-Id", "conn-1");
        if (signed) request.Headers.Add(GripSignature.Header, GripSignatureTests.Sign(GripSignatureTests.Key, _server.Time.GetUtcNow(), TimeSpan.FromMinutes(10)));
        if (lastSeen is not null) request.Headers.Add("Meta-Last-Seen", lastSeen);
        return request;
    }

    private static string Text(string json) => $"TEXT {Encoding.UTF8.GetByteCount(json):X}\r\n{json}\r\n";

    private static async Task<List<WebSocketEvent>> ReadEventsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WebSocketEvents.ContentType, response.Content.Headers.ContentType?.MediaType);
        return WebSocketEvents.Parse(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task WebSocketEvents_WithoutGripSig_IsRefused()
    {
        using var http = _server.Http();
        using var response = await http.SendAsync(Events("OPEN\r\n", signed: false));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("grip-signature", await response.Content.ReadAsStringAsync());
        Assert.False(_server.Services.GetRequiredService<DeviceStateTracker>().IsOnline(_scenario.Id("phone")));
    }

    [Fact]
    public async Task WebSocketEvents_Open_AcceptsSubscribesToTheDeviceChannelAndSaysHello()
    {
        using var http = _server.Http();
        using var response = await http.SendAsync(Events("OPEN\r\n"));
        var events = await ReadEventsAsync(response);

        Assert.Equal("OPEN", events[0].Type);
        Assert.Equal($$"""c:{"type":"subscribe","channel":"device:{{_scenario.Id("phone")}}"}""", Encoding.UTF8.GetString(events[1].Content.Span));
        Assert.StartsWith("m:{\"type\":\"hello\"", Encoding.UTF8.GetString(events[2].Content.Span));
        Assert.Equal("grip", response.Headers.GetValues("Sec-WebSocket-Extensions").Single());
        Assert.True(response.Headers.Contains("Set-Meta-Last-Seen"));
        Assert.True(_server.Services.GetRequiredService<DeviceStateTracker>().IsOnline(_scenario.Id("phone")));
    }

    [Fact]
    public async Task Notify_DeviceOpenedThroughGrip_PublishesToItsChannel_AndAckClearsIt()
    {
        using var http = _server.Http();
        using (var open = await http.SendAsync(Events("OPEN\r\n" + Text("""{"type":"state","presence":"active","foreground":true}"""))))
            Assert.Equal(3, (await ReadEventsAsync(open)).Count);

        var result = await _scenario.NotifyAsync();
        Assert.Equal(NotificationStatus.Delivered, result.Status);
        var published = await _control.NextAsync($"device:{_scenario.Id("phone")}", "notification");
        Assert.Equal(result.NotificationId, published.GetProperty("notification").GetProperty("id").GetString());

        using var ack = await http.SendAsync(Events(Text($$"""{"type":"ack","notificationId":"{{result.NotificationId}}","action":"opened"}""")));
        Assert.Empty(await ReadEventsAsync(ack));
        var details = await _scenario.App.GetNotificationAsync(result.NotificationId);
        Assert.Equal(NotificationStatus.Opened, details.Status);
    }

    [Fact]
    public async Task WebSocketEvents_Ping_AnswersPong()
    {
        using var http = _server.Http();
        using var response = await http.SendAsync(Events(Text("""{"type":"ping"}""")));
        var reply = Assert.Single(await ReadEventsAsync(response));
        Assert.Equal("m:{\"type\":\"pong\"}", Encoding.UTF8.GetString(reply.Content.Span));
    }

    [Fact]
    public async Task KeepAlive_DeviceSilentLongerThanTheHeartbeatTimeout_ClosesAndGoesOffline()
    {
        using var http = _server.Http();
        using (var open = await http.SendAsync(Events("OPEN\r\n"))) await ReadEventsAsync(open);
        var seen = _server.Time.GetUtcNow().ToUnixTimeSeconds();
        _server.Time.Advance(TimeSpan.FromSeconds(80));

        using var keepAlive = await http.SendAsync(Events("", lastSeen: seen.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var close = Assert.Single(await ReadEventsAsync(keepAlive));

        Assert.Equal(1008, close.CloseCode);
        Assert.False(_server.Services.GetRequiredService<DeviceStateTracker>().IsOnline(_scenario.Id("phone")));
    }

    [Fact]
    public async Task Pong_AppSilentLongerThanTheHeartbeatTimeout_Closes()
    {
        using var http = _server.Http();
        using (var open = await http.SendAsync(Events("OPEN\r\n"))) await ReadEventsAsync(open);
        var seen = _server.Time.GetUtcNow().ToUnixTimeSeconds();
        _server.Time.Advance(TimeSpan.FromSeconds(80));

        using var pong = await http.SendAsync(Events("PONG\r\n", lastSeen: seen.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(1008, Assert.Single(await ReadEventsAsync(pong)).CloseCode);
    }

    [Fact]
    public async Task KeepAlive_DeviceHeardWithinTheTimeout_StaysOpen()
    {
        using var http = _server.Http();
        using (var open = await http.SendAsync(Events("OPEN\r\n"))) await ReadEventsAsync(open);
        var seen = _server.Time.GetUtcNow().ToUnixTimeSeconds();
        _server.Time.Advance(TimeSpan.FromSeconds(30));

        using var keepAlive = await http.SendAsync(Events("", lastSeen: seen.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Empty(await ReadEventsAsync(keepAlive));
        Assert.True(_server.Services.GetRequiredService<DeviceStateTracker>().IsOnline(_scenario.Id("phone")));
    }

    [Fact]
    public async Task Events_ThroughPushpin_HoldsAStreamOnTheDeviceChannelWithHello()
    {
        using var http = _server.Http(_scenario.Devices["phone"].Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/realtime/events");
        request.Headers.Add(GripSignature.Header, GripSignatureTests.Sign(GripSignatureTests.Key, _server.Time.GetUtcNow(), TimeSpan.FromMinutes(10)));
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("stream", response.Headers.GetValues("Grip-Hold").Single());
        Assert.Equal($"device:{_scenario.Id("phone")}", response.Headers.GetValues("Grip-Channel").Single());
        Assert.StartsWith("data: {\"type\":\"hello\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Events_WithAForgedGripSig_IsRefused()
    {
        using var http = _server.Http(_scenario.Devices["phone"].Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/realtime/events");
        request.Headers.Add(GripSignature.Header, GripSignatureTests.Sign("forged-key-0123456789-0123456789-0123456", _server.Time.GetUtcNow(), TimeSpan.FromMinutes(10)));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
