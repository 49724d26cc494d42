using System.ComponentModel.DataAnnotations;

namespace Notify.Server.Realtime;

/// <summary>The realtime channel (section <c>Realtime</c>).</summary>
public sealed class RealtimeOptions
{
    /// <summary>A WebSocket that sends nothing (not even a ping) for this long is closed and the device goes
    /// offline (default 75 s: the SDK pings every 25 s, so three missed pings).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(75);

    /// <summary>WebSocket protocol-level keep-alive, so proxies keep idle sockets open (default 30 s).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>SSE comment sent this often so proxies keep the stream open (default 15 s).</summary>
    public TimeSpan SseKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Device state is written behind to the store this often (default 1 s). A second node reads the
    /// store, so this bounds how stale another node's view of a device can be.</summary>
    public TimeSpan StateFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest message a device may send (default 16 KiB).</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 16 * 1024;
}
