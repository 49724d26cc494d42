using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Realtime;

/// <summary>A bare <see cref="ClientWebSocket"/> on a test server's realtime endpoint, for tests that check the wire itself.</summary>
internal static class RawSockets
{
    /// <summary>Connects with <paramref name="token"/>, without protocol keep-alives (the test decides what is sent).</summary>
    public static async Task<ClientWebSocket> OpenAsync(NotifyTestServer server, string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri(server.BaseAddress.ToString().Replace("http", "ws") + "v1/realtime"), Waits.Deadline());
        return socket;
    }

    /// <summary>The next message as JSON, or null when the server closed.</summary>
    public static async Task<JsonElement?> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var result = await socket.ReceiveAsync(buffer, Waits.Deadline());
        return result.MessageType == WebSocketMessageType.Close ? null : JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement.Clone();
    }

    public static Task SendAsync(ClientWebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, Waits.Deadline());
}
