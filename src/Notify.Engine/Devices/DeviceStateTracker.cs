using System.Collections.Concurrent;
using Notify.Engine.Model;
using Notify.Engine.Storage;

namespace Notify.Engine.Devices;

/// <summary>
/// Device state in memory: connections, heartbeats and reports change it here at no I/O cost, and a
/// write-behind flush (<see cref="DrainDirty"/>) stores the latest state of each changed device in one batch.
/// Online means "holds a realtime connection to this process", so after a restart every device starts offline.
/// </summary>
public sealed class DeviceStateTracker
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _dirty = new(StringComparer.Ordinal);

    /// <summary>
    /// Raised after any change of a device's state here (connect, disconnect, report, ping), on the thread that made it.
    /// For watchers such as the console's live device view; handlers must be quick and must not throw.
    /// </summary>
    public event Action<Device>? Changed;

    public bool IsOnline(string deviceId) => _entries.TryGetValue(deviceId, out var e) && e.Connections > 0;

    /// <summary>The current state: in memory when known here, else the stored one (offline).</summary>
    public DeviceSnapshot Snapshot(StoredDevice stored)
    {
        if (_entries.TryGetValue(stored.Device.Id, out var e)) lock (e) return new DeviceSnapshot(stored.Device, e.State);
        return new DeviceSnapshot(stored.Device, (stored.State ?? DeviceState.Unknown) with { Online = false });
    }

    public IReadOnlyList<DeviceSnapshot> Snapshots(IEnumerable<StoredDevice> devices) => devices.Select(Snapshot).ToList();

    /// <summary>A realtime connection opened.</summary>
    public void Connected(StoredDevice device, DateTimeOffset now) =>
        Change(device, e => { e.Connections++; e.State = e.State with { Online = true, LastSeenAt = now }; });

    /// <summary>A realtime connection closed (or missed its heartbeats).</summary>
    public void Disconnected(StoredDevice device, DateTimeOffset now) =>
        Change(device, e =>
        {
            e.Connections = Math.Max(0, e.Connections - 1);
            e.State = e.State with { Online = e.Connections > 0, LastSeenAt = now };
        });

    /// <summary>The device said something (a ping); it is alive.</summary>
    public void Touch(StoredDevice device, DateTimeOffset now) =>
        Change(device, e => e.State = e.State with { LastSeenAt = now }, markDirty: false);

    /// <summary>Applies a validated state report.</summary>
    public DeviceState Report(StoredDevice device, StateReport report, DateTimeOffset now)
    {
        DeviceState result = DeviceState.Unknown;
        Change(device, e =>
        {
            var s = e.State;
            var battery = report.Battery is { } b ? new BatteryState(b.Level!.Value, b.Charging!.Value, b.LowPower ?? false) : s.Battery;
            var connectivity = report.Connectivity is { } c ? new ConnectivityState(c.Type!.Value, c.Metered ?? c.Type == ConnectivityType.Cellular) : s.Connectivity;
            var location = report.Location is { } l ? new GeoLocation(l.Lat!.Value, l.Lon!.Value, l.Accuracy) : s.Location;
            var presence = report.Presence ?? s.Presence;
            e.State = s with
            {
                Presence = presence,
                Foreground = report.Foreground ?? s.Foreground,
                Battery = battery,
                Connectivity = connectivity,
                Location = location,
                LastSeenAt = now,
                LastActiveAt = presence == Presence.Active && (report.Presence is not null || report.Foreground is not null) ? now : s.LastActiveAt,
            };
            result = e.State;
        });
        return result;
    }

    /// <summary>Forgets a removed device.</summary>
    public void Forget(string deviceId)
    {
        _entries.TryRemove(deviceId, out _);
        _dirty.TryRemove(deviceId, out _);
    }

    /// <summary>The latest state of every device changed since the last call, for the write-behind flush.</summary>
    public List<KeyValuePair<string, DeviceState>> DrainDirty()
    {
        var drained = new List<KeyValuePair<string, DeviceState>>();
        foreach (var id in _dirty.Keys)
        {
            if (!_dirty.TryRemove(id, out _) || !_entries.TryGetValue(id, out var e)) continue;
            lock (e) drained.Add(new(id, e.State));
        }
        return drained;
    }

    private void Change(StoredDevice device, Action<Entry> change, bool markDirty = true)
    {
        var entry = _entries.GetOrAdd(device.Device.Id, static (_, d) => new Entry { State = (d.State ?? DeviceState.Unknown) with { Online = false } }, device);
        lock (entry) change(entry);
        if (markDirty) _dirty[device.Device.Id] = 0;
        Changed?.Invoke(device.Device);
    }

    private sealed class Entry
    {
        public required DeviceState State;
        public int Connections;
    }
}
