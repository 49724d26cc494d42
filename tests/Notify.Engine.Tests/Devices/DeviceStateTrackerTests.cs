using Notify.Engine.Devices;
using Notify.Engine.Model;
using Notify.Engine.Storage;

namespace Notify.Engine.Tests.Devices;

public class DeviceStateTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly StoredDevice Phone = new(new Device("d1", "app", "u", Platform.Ios, "phone", null, "h", T0),
        new DeviceState(true, Presence.Active, true, new BatteryState(0.5, false, false), null, null, T0, T0));

    [Fact]
    public void Snapshot_NeverConnectedHere_IsOfflineWithTheStoredState()
    {
        var snapshot = new DeviceStateTracker().Snapshot(Phone);
        Assert.False(snapshot.State.Online);
        Assert.Equal(0.5, snapshot.State.Battery!.Level);
    }

    [Fact]
    public void ConnectedThenDisconnected_OnlineFollowsTheConnections()
    {
        var tracker = new DeviceStateTracker();
        tracker.Connected(Phone, T0);
        tracker.Connected(Phone, T0);
        tracker.Disconnected(Phone, T0);
        Assert.True(tracker.IsOnline("d1"));
        tracker.Disconnected(Phone, T0);
        Assert.False(tracker.IsOnline("d1"));
        Assert.False(tracker.Snapshot(Phone).State.Online);
    }

    [Fact]
    public void Report_ActivePresence_MovesLastActive_AndKeepsFieldsNotSent()
    {
        var tracker = new DeviceStateTracker();
        var state = tracker.Report(Phone, new StateReport(Presence.Active, null, null, new ConnectivityReport(ConnectivityType.Wifi, null), null), T0.AddMinutes(1));
        Assert.Equal(T0.AddMinutes(1), state.LastActiveAt);
        Assert.Equal(0.5, state.Battery!.Level);
        Assert.False(state.Connectivity!.Metered);

        var idle = tracker.Report(Phone, new StateReport(Presence.Idle, null, null, null, null), T0.AddMinutes(2));
        Assert.Equal(T0.AddMinutes(1), idle.LastActiveAt);
        Assert.Equal(Presence.Idle, idle.Presence);
    }

    [Fact]
    public void DrainDirty_ReturnsEachChangedDeviceOnceWithItsLatestState()
    {
        var tracker = new DeviceStateTracker();
        tracker.Report(Phone, new StateReport(Presence.Idle, null, null, null, null), T0);
        tracker.Report(Phone, new StateReport(Presence.Away, null, null, null, null), T0);
        var drained = Assert.Single(tracker.DrainDirty());
        Assert.Equal(Presence.Away, drained.Value.Presence);
        Assert.Empty(tracker.DrainDirty());
    }

    [Theory]
    [InlineData(7.0, "battery.level")]
    [InlineData(-0.1, "battery.level")]
    public void Validate_BatteryOutOfRange_NamesTheField(double level, string field)
    {
        var error = new StateReport(null, null, new BatteryReport(level, false, null), null, null).Validate();
        Assert.Equal(field, error!.Value.Field);
        Assert.Contains("0.0 (empty) to 1.0 (full)", error.Value.Message);
    }

    [Fact]
    public void Validate_LocationOutOfRange_IsAnError()
    {
        Assert.Equal("location.lat", new StateReport(null, null, null, null, new LocationReport(91, 0, null)).Validate()!.Value.Field);
        Assert.Null(new StateReport(null, null, null, null, new LocationReport(38.7, -9.1, 20)).Validate());
    }
}
