using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Devices;
using Notify.Engine.Model;
using Notify.Engine.Storage;

namespace Notify.Engine.Tests.Devices;

/// <summary>Presence when Pushpin holds the connections and several nodes share the store.</summary>
public class SharedPresenceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(76);
    private static readonly Device Phone = new("d1", "app", "u", Platform.Ios, "phone", null, "h", T0);

    private readonly FakeTimeProvider _time = new(T0);

    private static StoredDevice Stored(bool online, DateTimeOffset? seen) =>
        new(Phone, DeviceState.Unknown with { Online = online, LastSeenAt = seen, Presence = Presence.Active });

    [Fact]
    public void Snapshot_StoreSaysSeenAtTheEdgeByAnotherNodeWithinTheWindow_IsOnline()
    {
        var tracker = new DeviceStateTracker(Window, _time);
        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.True(tracker.Snapshot(Stored(true, T0)).State.Online);
        Assert.True(tracker.IsOnline("d1"));
    }

    [Fact]
    public void Snapshot_StoreSaysOnlineButNotSeenForLongerThanTheWindow_IsOffline()
    {
        var tracker = new DeviceStateTracker(Window, _time);
        _time.Advance(TimeSpan.FromSeconds(77));

        Assert.False(tracker.Snapshot(Stored(true, T0)).State.Online);
        Assert.False(tracker.IsOnline("d1"));
    }

    [Fact]
    public void Snapshot_AnotherNodeSawTheCloseLater_TakesTheLaterObservation()
    {
        var tracker = new DeviceStateTracker(Window, _time);
        tracker.SeenAtEdge(Stored(false, null), T0);
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(tracker.Snapshot(Stored(false, T0.AddSeconds(3))).State.Online);
    }

    [Fact]
    public void Report_OnANodeThatKnewTheDeviceOffline_KeepsTheNewerOnlineFromTheStore()
    {
        var tracker = new DeviceStateTracker(Window, _time);
        tracker.ClosedAtEdge(Stored(false, null), T0);
        _time.Advance(TimeSpan.FromSeconds(10));

        tracker.Report(Stored(true, T0.AddSeconds(5)), new StateReport(Presence.Idle, null, null, null, null), T0.AddSeconds(10));

        var flushed = Assert.Single(tracker.DrainDirty());
        Assert.True(flushed.Value.Online);
        Assert.Equal(Presence.Idle, flushed.Value.Presence);
    }

    [Fact]
    public void Snapshot_SingleNode_StoredOnlineStillMeansOffline()
    {
        Assert.False(new DeviceStateTracker().Snapshot(Stored(true, T0)).State.Online);
    }
}
