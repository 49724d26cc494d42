using System.ComponentModel.DataAnnotations;

namespace Notify.Server.Realtime;

/// <summary>The realtime channel (section <c>Realtime</c>).</summary>
public sealed class RealtimeOptions
{
    /// <summary>A WebSocket that sends nothing (not even a ping) for this long is closed and the device goes
    /// offline (default 75 s: the SDK pings every 25 s, so three missed pings). One sweep a second checks every
    /// connection (no timer per connection), so a socket closes within a second after this.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(75);

    /// <summary>WebSocket protocol-level keep-alive (ping frames from the server). Default off (zero): the devices'
    /// own pings every 25 s and the server's pongs already keep proxies from closing idle sockets, and a protocol
    /// keep-alive is one runtime timer per connection. Set it (e.g. 30 s) only behind a proxy that needs traffic from
    /// the server side more often than the devices ping.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.Zero;

    /// <summary>SSE comment sent this often so proxies keep the stream open (default 15 s).</summary>
    public TimeSpan SseKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Device state is written behind to the store this often (default 1 s). A second node reads the
    /// store, so this bounds how stale another node's view of a device can be.</summary>
    public TimeSpan StateFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest message a device may send (default 16 KiB).</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 16 * 1024;

    /// <summary>Open realtime connections (WebSocket and SSE) one device token may hold on this node (default 3: an
    /// app reconnecting before its old socket timed out, plus one spare). The next one closes the oldest, with close
    /// code 1008 and a reason saying so; a stream ends.</summary>
    [Range(1, 100)]
    public int MaxConnectionsPerDevice { get; set; } = 3;

    /// <summary><c>state</c> reports a device may send at once (default 10) before the rate applies.</summary>
    [Range(1, 1000)]
    public int StateReportBurst { get; set; } = 10;

    /// <summary>After the burst, one <c>state</c> report per this interval (default 1 s); each state report may
    /// re-decide the user's held notifications, so a device cannot spend the node's CPU faster than this. A report
    /// beyond the rate is dropped and answered with an <c>error</c> message, code <c>rate-limited</c>; the connection
    /// stays open.</summary>
    public TimeSpan StateReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>On shutdown every connection is closed at once (WebSocket close code 1012, service restart; SSE streams
    /// end); a device that has not answered its close within this long is cut off (default 3 s).</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(3);
}
