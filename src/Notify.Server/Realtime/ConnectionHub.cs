using System.Collections.Concurrent;
using System.Text.Json;
using Notify.Engine.Notifications;

namespace Notify.Server.Realtime;

/// <summary>A device's open connection, WebSocket or SSE.</summary>
public interface IDeviceConnection
{
    /// <summary>Writes one message; <paramref name="eventId"/> is the SSE id, ignored by WebSocket.</summary>
    Task SendAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct);

    /// <summary>Closes the connection at once (the device was removed and its token revoked).</summary>
    void Abort();
}

/// <summary>
/// The realtime connections this process holds, by device. It is the in-app channel
/// (<see cref="IRealtimeSender"/>): a message to a device goes to each of its connections.
/// </summary>
public sealed class ConnectionHub(ILogger<ConnectionHub> logger) : IRealtimeSender
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<IDeviceConnection, byte>> _byDevice = new(StringComparer.Ordinal);

    public int Count => _byDevice.Values.Sum(c => c.Count);

    public void Add(string deviceId, IDeviceConnection connection) =>
        _byDevice.GetOrAdd(deviceId, _ => new ConcurrentDictionary<IDeviceConnection, byte>())[connection] = 0;

    public void Remove(string deviceId, IDeviceConnection connection)
    {
        if (_byDevice.TryGetValue(deviceId, out var set))
        {
            set.TryRemove(connection, out _);
            if (set.IsEmpty) _byDevice.TryRemove(new KeyValuePair<string, ConcurrentDictionary<IDeviceConnection, byte>>(deviceId, set));
        }
    }

    /// <summary>Closes every connection of a removed device.</summary>
    public void Abort(string deviceId)
    {
        if (_byDevice.TryRemove(deviceId, out var set))
            foreach (var connection in set.Keys) connection.Abort();
    }

    public bool IsConnected(string deviceId) => _byDevice.TryGetValue(deviceId, out var set) && !set.IsEmpty;

    public async ValueTask<bool> SendAsync(string deviceId, ServerMessage message, string? eventId = null, CancellationToken ct = default)
    {
        if (!_byDevice.TryGetValue(deviceId, out var set) || set.IsEmpty) return false;
        var json = Serialize(message);
        var sent = false;
        foreach (var connection in set.Keys)
        {
            try
            {
                await connection.SendAsync(json, eventId, ct);
                sent = true;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogDebug(e, "A connection of device {DeviceId} failed to send; it closes", deviceId);
            }
        }
        return sent;
    }

    public static byte[] Serialize(ServerMessage message) => JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), EngineJson.Options);
}
