using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Notify.Client;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Realtime;

/// <summary>Issue 12 item 4, through real sockets: state reports are rate-limited per device, connections capped per token.</summary>
public sealed class ConnectionLimitsTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private Scenario _ana = null!;

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer(new Dictionary<string, string?>
        {
            ["Realtime:StateReportBurst"] = "3",
            ["Realtime:StateReportInterval"] = "00:00:02",
            ["Realtime:MaxConnectionsPerDevice"] = "2",
        });
        _ana = await Scenario.CreateAsync(_server);
        await _ana.RegisterAsync("laptop", Platform.Desktop);
    }

    public async Task DisposeAsync()
    {
        await _ana.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<ClientWebSocket> OpenAsync()
    {
        var socket = await RawSockets.OpenAsync(_server, _ana.Devices["laptop"].Token);
        Assert.Equal("hello", (await ReceiveAsync(socket))!.Value.GetProperty("type").GetString());
        return socket;
    }

    private static Task<JsonElement?> ReceiveAsync(ClientWebSocket socket) => RawSockets.ReceiveAsync(socket);

    private static Task SendAsync(ClientWebSocket socket, string json) => RawSockets.SendAsync(socket, json);

    private static async Task<string?> PingAsync(ClientWebSocket socket)
    {
        await SendAsync(socket, """{"type":"ping"}""");
        var reply = (await ReceiveAsync(socket))!.Value;
        return reply.GetProperty("type").GetString() == "error" ? reply.GetProperty("code").GetString() : reply.GetProperty("type").GetString();
    }

    [Fact]
    public async Task StateReports_BeyondTheBurst_DroppedWithRateLimitedError_ConnectionStaysOpen()
    {
        using var socket = await OpenAsync();
        // A valid state report has no answer: the ping after it is answered first when the report was taken.
        for (var i = 0; i < 3; i++)
        {
            await SendAsync(socket, """{"type":"state","presence":"idle"}""");
            Assert.Equal("pong", await PingAsync(socket));
        }

        await SendAsync(socket, """{"type":"state","presence":"active"}""");
        var error = (await ReceiveAsync(socket))!.Value;
        Assert.Equal(("error", "rate-limited"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Contains("at most 3 at once, then one every 2s", error.GetProperty("message").GetString());
        Assert.Equal("pong", await PingAsync(socket));
        Assert.Equal(WebSocketState.Open, socket.State);
        // Dropped, not applied: the device is still idle.
        var user = await _ana.App.GetUserAsync("ana", Waits.Deadline());
        Assert.Equal(Presence.Idle, user.Devices.Single().State!.Presence);

        // The budget is the device's, not the connection's: a new socket does not refill it.
        using (var second = await OpenAsync())
        {
            await SendAsync(second, """{"type":"state","presence":"active"}""");
            Assert.Equal("rate-limited", (await ReceiveAsync(second))!.Value.GetProperty("code").GetString());
            await second.CloseAsync(WebSocketCloseStatus.NormalClosure, "", Waits.Deadline());
        }

        // One report regained per interval.
        _server.Time.Advance(TimeSpan.FromSeconds(2));
        await SendAsync(socket, """{"type":"state","presence":"active"}""");
        Assert.Equal("pong", await PingAsync(socket));
        await SendAsync(socket, """{"type":"state","presence":"active"}""");
        Assert.Equal("rate-limited", (await ReceiveAsync(socket))!.Value.GetProperty("code").GetString());
    }

    [Fact]
    public async Task StateOverHttp_SharesTheDevicesBudget_BeyondIt429RateLimited()
    {
        using var http = _server.Http(_ana.Devices["laptop"].Token);
        async Task<HttpResponseMessage> ReportAsync() => await http.PostAsync($"/v1/devices/{_ana.Id("laptop")}/state",
            new StringContent("""{"presence":"idle"}""", Encoding.UTF8, "application/json"), Waits.Deadline());

        for (var i = 0; i < 2; i++) Assert.Equal(System.Net.HttpStatusCode.OK, (await ReportAsync()).StatusCode);
        using (var socket = await OpenAsync())
        {
            await SendAsync(socket, """{"type":"state","presence":"active"}""");
            Assert.Equal("pong", await PingAsync(socket));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", Waits.Deadline());
        }

        using var refused = await ReportAsync();
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, refused.StatusCode);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("rate-limited", problem.RootElement.GetProperty("code").GetString());
        _server.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await ReportAsync()).StatusCode);
    }

    [Fact]
    public async Task Connections_BeyondThePerTokenCap_TheOldestClosedWithReason()
    {
        using var first = await OpenAsync();
        using var second = await OpenAsync();
        using var third = await OpenAsync();

        Assert.Null(await ReceiveAsync(first));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, first.CloseStatus);
        Assert.Contains("replaced by a newer connection of this device: at most 2 per device", first.CloseStatusDescription);

        Assert.Equal("pong", await PingAsync(second));
        Assert.Equal("pong", await PingAsync(third));
        var user = await _ana.App.GetUserAsync("ana", Waits.Deadline());
        Assert.True(user.Devices.Single().State!.Online);
    }
}
