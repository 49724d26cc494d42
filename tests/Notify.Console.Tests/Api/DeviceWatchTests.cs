using System.Net.Http.Json;
using System.Text.Json;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Console.Tests.Api;

public sealed class DeviceWatchTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private Scenario _ana = null!;

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer();
        _ana = await Scenario.CreateAsync(_server);
        await _ana.RegisterAsync("laptop", Platform.Desktop);
    }

    public async Task DisposeAsync()
    {
        await _ana.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Watch_DeviceConnectsAndReports_StreamsEachChange()
    {
        using var http = _server.Http(NotifyTestServer.AppKey);
        var deadline = Waits.Deadline();
        using var response = await http.GetAsync("/v1/users/ana/devices/events", HttpCompletionOption.ResponseHeadersRead, deadline);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(deadline));

        var first = await events.NextAsync(deadline);
        Assert.Equal("devices", first.GetProperty("type").GetString());
        var listed = Assert.Single(first.GetProperty("devices").EnumerateArray());
        Assert.False(listed.GetProperty("state").GetProperty("online").GetBoolean());

        await using var device = _server.Device(_ana.Devices["laptop"].Token);
        await device.ConnectAsync();
        var connected = await events.NextAsync(deadline);
        Assert.Equal("device", connected.GetProperty("type").GetString());
        Assert.Equal(_ana.Id("laptop"), connected.GetProperty("device").GetProperty("id").GetString());
        Assert.True(connected.GetProperty("device").GetProperty("state").GetProperty("online").GetBoolean());

        using var deviceHttp = _server.Http(_ana.Devices["laptop"].Token);
        (await deviceHttp.PostAsJsonAsync($"/v1/devices/{_ana.Id("laptop")}/state", new { presence = "active", battery = new { level = 0.5, charging = true } }, deadline))
            .EnsureSuccessStatusCode();
        var active = await events.NextAsync(deadline, e => e.GetProperty("device").GetProperty("state").TryGetProperty("presence", out _));
        var state = active.GetProperty("device").GetProperty("state");
        Assert.Equal("active", state.GetProperty("presence").GetString());
        Assert.Equal(0.5, state.GetProperty("battery").GetProperty("level").GetDouble());
    }

    [Fact]
    public async Task Watch_DeviceDeletedWhileConnected_StreamsRemoved()
    {
        using var http = _server.Http(NotifyTestServer.AppKey);
        var deadline = Waits.Deadline();
        using var response = await http.GetAsync("/v1/users/ana/devices/events", HttpCompletionOption.ResponseHeadersRead, deadline);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(deadline));
        await events.NextAsync(deadline);
        await using var device = _server.Device(_ana.Devices["laptop"].Token);
        await device.ConnectAsync();
        await events.NextAsync(deadline);

        await _ana.App.DeleteDeviceAsync(_ana.Id("laptop"));

        var removed = await events.NextAsync(deadline, e => e.GetProperty("type").GetString() == "removed");
        Assert.Equal(_ana.Id("laptop"), removed.GetProperty("deviceId").GetString());
    }

    [Fact]
    public async Task Watch_KeepAliveInterval_WritesAComment()
    {
        using var http = _server.Http(NotifyTestServer.AppKey);
        var deadline = Waits.Deadline();
        using var response = await http.GetAsync("/v1/users/ana/devices/events", HttpCompletionOption.ResponseHeadersRead, deadline);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(deadline));
        await events.NextAsync(deadline);

        _server.Time.Advance(TimeSpan.FromSeconds(15));

        Assert.Equal(": keep-alive", await events.NextLineAsync(deadline, l => l.StartsWith(':')));
    }
}

/// <summary>Reads <c>data:</c> events from a Server-Sent Events stream.</summary>
internal sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    public async Task<string> NextLineAsync(CancellationToken ct, Func<string, bool> match)
    {
        while (true)
        {
            var line = await _reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("The stream ended.");
            if (match(line)) return line;
        }
    }

    /// <summary>The next event (that matches, when given).</summary>
    public async Task<JsonElement> NextAsync(CancellationToken ct, Func<JsonElement, bool>? match = null)
    {
        while (true)
        {
            var line = await NextLineAsync(ct, l => l.StartsWith("data: ", StringComparison.Ordinal));
            var e = JsonDocument.Parse(line["data: ".Length..]).RootElement;
            if (match is null || match(e)) return e;
        }
    }

    public void Dispose() => _reader.Dispose();
}
