using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Notify.Client;
using Notify.Client.Devices;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Realtime;

public sealed class RealtimeTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private Scenario _ana = null!;

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer(new Dictionary<string, string?> { ["Realtime:HeartbeatTimeout"] = "00:01:15" });
        _ana = await Scenario.CreateAsync(_server);
        await _ana.RegisterAsync("laptop", Platform.Desktop);
        await _ana.RegisterAsync("browser", Platform.Web);
    }

    public async Task DisposeAsync()
    {
        await _ana.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Task<ClientWebSocket> RawSocketAsync(string device) => RawSockets.OpenAsync(_server, _ana.Devices[device].Token);

    private static Task<JsonElement?> ReceiveAsync(ClientWebSocket socket) => RawSockets.ReceiveAsync(socket);

    private static Task SendAsync(ClientWebSocket socket, string json) => RawSockets.SendAsync(socket, json);

    [Fact]
    public async Task WebSocket_HelloFirst_ThenPongAndErrors()
    {
        using var socket = await RawSocketAsync("laptop");

        var hello = (await ReceiveAsync(socket))!.Value;
        Assert.Equal("hello", hello.GetProperty("type").GetString());
        Assert.Equal(_ana.Id("laptop"), hello.GetProperty("deviceId").GetString());
        Assert.Equal(_server.Time.GetUtcNow(), hello.GetProperty("serverTime").GetDateTimeOffset());

        await SendAsync(socket, """{"type":"ping"}""");
        Assert.Equal("pong", (await ReceiveAsync(socket))!.Value.GetProperty("type").GetString());

        await SendAsync(socket, """{"type":"state","battery":{"level":7,"charging":false}}""");
        var error = (await ReceiveAsync(socket))!.Value;
        Assert.Equal(("error", "invalid-state"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Contains("0.0 (empty) to 1.0 (full)", error.GetProperty("message").GetString());

        await SendAsync(socket, """{"type":"dance"}""");
        Assert.Equal("unknown-type", (await ReceiveAsync(socket))!.Value.GetProperty("code").GetString());

        await SendAsync(socket, """{"type":"state",""");
        Assert.Equal("invalid-message", (await ReceiveAsync(socket))!.Value.GetProperty("code").GetString());

        await SendAsync(socket, """{"type":"ack","notificationId":"ntf_nope","action":"seen"}""");
        Assert.Equal("not-found", (await ReceiveAsync(socket))!.Value.GetProperty("code").GetString());
    }

    [Fact]
    public async Task WebSocket_OpenMeansOnline_CloseMeansOffline()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Active);
        var user = await _ana.App.GetUserAsync("ana");
        var state = user.Devices.Single(d => d.Id == _ana.Id("laptop")).State!;
        Assert.True(state.Online);
        Assert.Equal(Presence.Active, state.Presence);
        Assert.Equal(_server.Time.GetUtcNow(), state.LastActiveAt);

        await laptop.DisconnectAsync();
        var deadline = Waits.Deadline();
        while ((await _ana.App.GetUserAsync("ana", deadline)).Devices.Single(d => d.Id == _ana.Id("laptop")).State!.Online)
            await Task.Delay(10, deadline);
    }

    [Fact]
    public async Task WebSocket_NoHeartbeat_ClosedAndOffline()
    {
        using var socket = await RawSocketAsync("laptop");
        await ReceiveAsync(socket);

        _server.Time.Advance(TimeSpan.FromSeconds(74));
        await SendAsync(socket, """{"type":"ping"}""");
        Assert.Equal("pong", (await ReceiveAsync(socket))!.Value.GetProperty("type").GetString());

        _server.Time.Advance(TimeSpan.FromSeconds(76));
        Assert.Null(await ReceiveAsync(socket));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
        Assert.Contains("heartbeat", socket.CloseStatusDescription);
    }

    [Fact]
    public async Task WebSocket_StateReports_AreWrittenBehindToTheStore()
    {
        var laptop = await _ana.ConnectAsync("laptop");
        await laptop.ReportStateAsync(new DeviceStateReport { Presence = Presence.Idle, Battery = new BatteryState { Level = 0.3, Charging = false } });
        await laptop.PingAsync();
        Assert.Equal(0, _server.Count("devices WHERE state_json LIKE '%0.3%'"));

        _server.Time.Advance(TimeSpan.FromSeconds(1));

        var deadline = Waits.Deadline();
        while (_server.Count("devices WHERE state_json LIKE '%\"level\":0.3%'") == 0) await Task.Delay(10, deadline);
    }

    [Fact]
    public async Task Sse_HelloNotificationWithId_AckOverHttpClearsTheOtherDevice()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Idle);
        using var http = _server.Http(_ana.Devices["browser"].Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/realtime/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Waits.Deadline());
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new SseReader(await response.Content.ReadAsStreamAsync());

        var hello = await reader.NextAsync();
        Assert.Equal("hello", hello.Data.GetProperty("type").GetString());
        await using (var browser = new NotifyDeviceClient(_server.BaseAddress, _ana.Devices["browser"].Token, new NotifyDeviceClientOptions { DeviceId = _ana.Id("browser") }))
            await browser.ReportStateOverHttpAsync(new DeviceStateReport { Presence = Presence.Active });

        var notified = await _ana.NotifyAsync();
        Assert.Equal(_ana.Id("browser"), notified.Decision!.DeviceId);
        var message = await reader.NextAsync();
        Assert.Equal("notification", message.Data.GetProperty("type").GetString());
        Assert.Equal(notified.NotificationId, message.Data.GetProperty("notification").GetProperty("id").GetString());
        Assert.StartsWith("dlv_", message.Id);

        _server.Time.Advance(TimeSpan.FromMinutes(2));
        await laptop.WaitForNotificationAsync(n => n.Id == notified.NotificationId, Waits.Deadline());
        var ack = await http.PostAsync($"/v1/notifications/{notified.NotificationId}/ack",
            new StringContent("""{"action":"seen"}""", Encoding.UTF8, "application/json"));
        ack.EnsureSuccessStatusCode();
        Assert.Equal(ClearReason.SeenElsewhere, (await laptop.WaitForClearAsync(notified.NotificationId, Waits.Deadline())).Reason);
    }

    [Fact]
    public async Task Sse_LastEventId_SkipsWhatTheClientAlreadyHas()
    {
        await using (var browser = new NotifyDeviceClient(_server.BaseAddress, _ana.Devices["browser"].Token, new NotifyDeviceClientOptions { DeviceId = _ana.Id("browser") }))
            await browser.ReportStateOverHttpAsync(new DeviceStateReport { Presence = Presence.Active });
        var first = await _ana.NotifyAsync();
        var second = await _ana.NotifyAsync();
        using var http = _server.Http(_ana.Devices["browser"].Token);

        string lastId;
        using (var response = await http.GetAsync("/v1/realtime/events", HttpCompletionOption.ResponseHeadersRead, Waits.Deadline()))
        using (var reader = new SseReader(await response.Content.ReadAsStreamAsync()))
        {
            await reader.NextAsync();
            var a = await reader.NextAsync();
            var b = await reader.NextAsync();
            Assert.Equal([first.NotificationId, second.NotificationId],
                new[] { a, b }.Select(e => e.Data.GetProperty("notification").GetProperty("id").GetString()));
            lastId = a.Id!;
        }

        using var resume = new HttpRequestMessage(HttpMethod.Get, "/v1/realtime/events");
        resume.Headers.Add("Last-Event-ID", lastId);
        using var resumed = await http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead, Waits.Deadline());
        using var again = new SseReader(await resumed.Content.ReadAsStreamAsync());
        await again.NextAsync();
        var next = await again.NextAsync();
        Assert.Equal(second.NotificationId, next.Data.GetProperty("notification").GetProperty("id").GetString());
    }

    /// <summary>Reads Server-Sent Events: <c>id:</c> and <c>data:</c> lines, a blank line ends an event, comments skipped.</summary>
    private sealed class SseReader(Stream stream) : IDisposable
    {
        private readonly StreamReader _reader = new(stream);

        public async Task<(string? Id, JsonElement Data)> NextAsync()
        {
            string? id = null, data = null;
            while (await _reader.ReadLineAsync(Waits.Deadline()) is { } line)
            {
                if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                else if (line.Length == 0 && data is not null) return (id, JsonDocument.Parse(data).RootElement.Clone());
            }
            throw new EndOfStreamException("the event stream ended");
        }

        public void Dispose() => _reader.Dispose();
    }
}
