using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Data.Sqlite;
using Notify.Server.Tests.Durability;
using Notify.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Notify.Server.Tests.Realtime;

/// <summary>Issue 12 item 10: SIGTERM with devices connected closes them at once (1012) and the process exits in seconds.</summary>
[Collection(ProcessesCollection.Name)]
public sealed class ShutdownTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Devices = 100;
    private readonly ServerHome _home = new();
    private ServerProcess? _server;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _home.Dispose();
    }

    [SkippableFact]
    public async Task Sigterm_WithDevicesConnected_ClosesEachWith1012_EndsSseStreams_StoresThemOffline_ExitsWellBeforeTheHostTimeout()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "sends SIGTERM to the server process (Linux)");
        _home.WriteRule("default", """
            name: default
            ttl: 1h
            steps:
              - to: best
                via: inApp
            """);
        _server = await ServerProcess.StartAsync(_home);
        using var app = _server.Client(_home.AppKey, 16);

        var tokens = new string[Devices];
        await Parallel.ForAsync(0, Devices, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            await Durability.Api.PutUserAsync(app, $"u{i:D3}");
            tokens[i] = (await Durability.Api.AddDeviceAsync(app, $"u{i:D3}", "laptop")).DeviceToken;
        });
        var sockets = new ClientWebSocket[Devices];
        await Parallel.ForAsync(0, Devices, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + tokens[i]);
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            await socket.ConnectAsync(_server.RealtimeUri, Deadline());
            var hello = await ReceiveAsync(socket);
            Assert.Equal(WebSocketMessageType.Text, hello);
            sockets[i] = socket;
        });
        // One more device listens over Server-Sent Events.
        await Durability.Api.PutUserAsync(app, "sse");
        var sseToken = (await Durability.Api.AddDeviceAsync(app, "sse", "browser")).DeviceToken;
        using var sseClient = _server.Client(sseToken, 1);
        using var sseResponse = await sseClient.GetAsync("v1/realtime/events", HttpCompletionOption.ResponseHeadersRead, Deadline());
        var sse = await sseResponse.Content.ReadAsStreamAsync(Deadline());
        var sseBuffer = new byte[4096];
        Assert.True(await sse.ReadAsync(sseBuffer, Deadline()) > 0, "the SSE stream's hello");

        // And an operator's console watches a user's devices live (an SSE stream of its own, with the app key).
        using var watchResponse = await app.GetAsync("v1/users/u000/devices/events", HttpCompletionOption.ResponseHeadersRead, Deadline());
        var watch = await watchResponse.Content.ReadAsStreamAsync(Deadline());
        var watchBuffer = new byte[4096];
        Assert.True(await watch.ReadAsync(watchBuffer, Deadline()) > 0, "the device view's first event");

        // The write-behind has stored every device online (1 s interval on the real clock): what shutdown must undo.
        await Waits.UntilAsync(() => OnlineInStore() == Devices + 1, "every device stored online", 30);

        // Each socket waits for the server's close from now on, and the stream for its end.
        var closes = sockets.Select(s => ReceiveAsync(s)).ToArray();
        var sseEnded = ReadToEndAsync(sse, sseBuffer);
        var watchEnded = ReadToEndAsync(watch, watchBuffer);
        var stopwatch = Stopwatch.StartNew();
        _server.Terminate();

        await Task.WhenAll(closes);
        var closedAfter = stopwatch.Elapsed;
        foreach (var socket in sockets)
        {
            Assert.Equal(WebSocketMessageType.Close, await closes[Array.IndexOf(sockets, socket)]);
            Assert.Equal((WebSocketCloseStatus)1012, socket.CloseStatus);
            Assert.Contains("service restart", socket.CloseStatusDescription);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", Deadline());
        }

        // The stream ended as a response does (not cut off with the process).
        Assert.True(await sseEnded, "the SSE stream ended with the response, not with a reset");
        Assert.True(await watchEnded, "the console's device view ended with the response when the node began to stop");

        // Well under the host's 30 s shutdown timeout it used to wait for; the bound is generous for a shared CI machine.
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            await _server.WaitForExitAsync(exit.Token);
        var exitedAfter = stopwatch.Elapsed;
        output.WriteLine($"{Devices} devices: all closed with 1012 {closedAfter.TotalMilliseconds:F0} ms after SIGTERM; the process exited after {exitedAfter.TotalMilliseconds:F0} ms");
        Assert.True(exitedAfter < TimeSpan.FromSeconds(15), $"exited {exitedAfter.TotalSeconds:F1} s after SIGTERM\n{_server.Output}");
        Assert.Equal(0, _server.ExitCode);
        // The disconnects were flushed before the process ended.
        Assert.Equal(0, OnlineInStore());
        foreach (var socket in sockets) socket.Dispose();
    }

    private static CancellationToken Deadline() => Waits.Deadline(30);

    private static async Task<WebSocketMessageType> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        var result = await socket.ReceiveAsync(buffer, Deadline());
        while (!result.EndOfMessage) result = await socket.ReceiveAsync(buffer, Deadline());
        return result.MessageType;
    }

    /// <returns>True when the stream ended cleanly (end of the response), false when the connection was reset.</returns>
    private static async Task<bool> ReadToEndAsync(Stream stream, byte[] buffer)
    {
        try
        {
            while (await stream.ReadAsync(buffer, Deadline()) > 0) { }
            return true;
        }
        catch (IOException) { return false; }
        catch (HttpRequestException) { return false; }
    }

    private long OnlineInStore()
    {
        using var connection = new SqliteConnection($"Data Source={_home.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """SELECT COUNT(*) FROM devices WHERE state_json LIKE '%"online":true%'""";
        return (long)cmd.ExecuteScalar()!;
    }
}
