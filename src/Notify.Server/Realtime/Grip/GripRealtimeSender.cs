using Notify.Engine.Devices;
using Notify.Engine.Notifications;

namespace Notify.Server.Realtime.Grip;

/// <summary>
/// The in-app channel when Pushpin holds the connections: a device connected to this process directly (WebSocket
/// or SSE without Pushpin) is sent to here, as without GRIP; any other is published to its channel
/// <c>device:{id}</c>, which reaches it whichever node it connected through.
/// </summary>
/// <remarks>
/// <see cref="IsConnected"/> across nodes: true when this process holds a direct connection, or when the device
/// was seen at the edge (open, heartbeat, report) within <see cref="DeviceStateTracker.SharedPresenceWindow"/> by
/// this node or, as read from the store, by another (state is written behind every
/// <see cref="RealtimeOptions.StateFlushInterval"/>, so another node's view lags by at most that plus the read).
/// Being wrong is cheap: a message published to a device that is not subscribed is dropped by Pushpin, and the
/// device gets every open in-app delivery, sent or pending, again when it connects.
/// </remarks>
public sealed class GripRealtimeSender(ConnectionHub hub, GripPublisher publisher, DeviceStateTracker tracker) : IRealtimeSender
{
    public static string Channel(string deviceId) => "device:" + deviceId;

    public bool IsConnected(string deviceId) => hub.IsConnected(deviceId) || tracker.IsOnline(deviceId);

    public async ValueTask<bool> SendAsync(string deviceId, ServerMessage message, string? eventId = null, CancellationToken ct = default)
    {
        if (hub.IsConnected(deviceId) && await hub.SendAsync(deviceId, message, eventId, ct)) return true;
        return await publisher.PublishAsync(new GripItem(Channel(deviceId), ConnectionHub.Serialize(message), eventId), ct);
    }
}
