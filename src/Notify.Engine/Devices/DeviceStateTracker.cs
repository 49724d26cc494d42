using System.Collections.Concurrent;
using Notify.Engine.Model;
using Notify.Engine.Storage;

namespace Notify.Engine.Devices;

/// <summary>
/// Device state in memory: connections, heartbeats and reports change it here at no I/O cost, and a
/// write-behind flush (<see cref="DrainDirty"/>) stores the latest state of each changed device in one batch.
/// Online means "holds a realtime connection to this process", so after a restart every device starts offline.
/// </summary>
/// <remarks>
/// With a shared edge (<see cref="SharedPresenceWindow"/> set: Pushpin holds the connections and any node serves
/// their events), online also means "the store or this node saw the device at the edge within the window": the
/// latest observation wins, whichever node made it, and a device nobody has heard from for the window is offline
/// even if the close never reached a node (a node died, or the device went silent).
/// </remarks>
public sealed class DeviceStateTracker
{
    /// <summary>The tracker of one node alone: online means a connection to this process.</summary>
    public DeviceStateTracker() : this(null, TimeProvider.System) { }

    /// <param name="sharedPresenceWindow">When set, devices are also held at a shared edge and their stored state
    /// (written behind by whichever node saw them) counts as online for this long after it was last seen.</param>
    public DeviceStateTracker(TimeSpan? sharedPresenceWindow, TimeProvider time)
    {
        SharedPresenceWindow = sharedPresenceWindow;
        _time = time;
    }

    private readonly TimeProvider _time;

    /// <summary>Null on a single node; else how long an edge-held device counts as online after it was last seen.</summary>
    public TimeSpan? SharedPresenceWindow { get; }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _dirty = new(StringComparer.Ordinal);

    /// <summary>
    /// Raised after any change of a device's state here (connect, disconnect, report, ping), on the thread that made it.
    /// For watchers such as the console's live device view; handlers must be quick and must not throw.
    /// </summary>
    public event Action<Device>? Changed;

    public bool IsOnline(string deviceId)
    {
        if (!_entries.TryGetValue(deviceId, out var e)) return false;
        lock (e) return Online(e);
    }

    /// <summary>The current state: in memory when known here, else the stored one (offline on a single node).</summary>
    public DeviceSnapshot Snapshot(StoredDevice stored)
    {
        if (SharedPresenceWindow is not null && stored.State?.LastSeenAt is not null)
        {
            // Shared edge: another node may have seen the device more recently than this one; remember what it saw.
            var shared = _entries.GetOrAdd(stored.Device.Id, static (_, d) => new Entry { State = d.State! }, stored);
            lock (shared)
            {
                Adopt(shared, stored);
                return new DeviceSnapshot(stored.Device, shared.State with { Online = Online(shared) });
            }
        }
        if (_entries.TryGetValue(stored.Device.Id, out var e)) lock (e) return new DeviceSnapshot(stored.Device, e.State with { Online = Online(e) });
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

    /// <summary>The device said something through the shared edge (it opened, pinged, reported): online from now.</summary>
    /// <remarks>Marks the device for the write-behind, so the other nodes read it within the flush interval.</remarks>
    public void SeenAtEdge(StoredDevice device, DateTimeOffset now) =>
        Change(device, e => e.State = e.State with { Online = true, LastSeenAt = now });

    /// <summary>The edge reported the device's connection closed (or this node closed it for missing heartbeats).</summary>
    public void ClosedAtEdge(StoredDevice device, DateTimeOffset now) =>
        Change(device, e => e.State = e.State with { Online = e.Connections > 0, LastSeenAt = now });

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
        lock (entry)
        {
            Adopt(entry, device);
            change(entry);
        }
        if (markDirty) _dirty[device.Device.Id] = 0;
        Changed?.Invoke(device.Device);
    }

    /// <summary>With a shared edge, takes the stored state when it was seen later than what this node knows
    /// (unless this node holds a direct connection, which it knows best).</summary>
    private void Adopt(Entry entry, StoredDevice stored)
    {
        if (SharedPresenceWindow is null || entry.Connections > 0 || stored.State?.LastSeenAt is not { } storedSeen) return;
        if (entry.State.LastSeenAt is not { } seen || storedSeen > seen) entry.State = stored.State;
    }

    private bool Online(Entry e) =>
        e.Connections > 0 || (SharedPresenceWindow is { } window && e.State is { Online: true, LastSeenAt: { } seen } && _time.GetUtcNow() - seen <= window);

    private sealed class Entry
    {
        public required DeviceState State;
        public int Connections;
    }
}
