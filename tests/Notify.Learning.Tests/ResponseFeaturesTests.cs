using Notify.Engine.Learning;
using Notify.Engine.Model;

namespace Notify.Learning.Tests;

public class ResponseFeaturesTests
{
    [Fact]
    public void From_ReportedState_MapsEveryFeature()
    {
        var device = Kit.Device("p", Platform.Android, online: true, presence: Presence.Idle, activeAgo: TimeSpan.FromSeconds(90),
            battery: new BatteryState(0.1, false, false), net: new ConnectivityState(ConnectivityType.Cellular, true), foreground: true);
        var user = Kit.User(zone: "Asia/Tokyo");

        var f = ResponseFeatures.From(Kit.Note(category: "reply") with { Priority = Priority.High },
            ResponseFeatures.LocalTime(user, Kit.Noon.AddMinutes(30)), device, Channel.Push, 2, Kit.Noon.AddMinutes(30));

        Assert.Equal("android", f.Platform);
        Assert.Equal("idle", f.Presence);
        Assert.True(f.Online);
        Assert.True(f.Foreground);
        Assert.Equal(90 + 1800, f.SecondsSinceActive);
        Assert.Equal(0.1, f.BatteryLevel);
        Assert.False(f.Charging);
        Assert.True(f.LowBattery);
        Assert.Equal("cellular", f.Connectivity);
        Assert.True(f.Metered);
        Assert.Equal(21.5, f.LocalHour);   // 12:30Z is 21:30 in Tokyo
        Assert.Equal(3, f.Weekday);        // Wednesday
        Assert.Equal("reply", f.Category);
        Assert.Equal("high", f.Priority);
        Assert.Equal("push", f.Channel);
        Assert.Equal(2, f.Step);
    }

    [Fact]
    public void From_NothingReported_UsesUnknownAndMinusOne()
    {
        var device = Kit.Device("d", Platform.Desktop, online: false, presence: null);
        var f = ResponseFeatures.From(Kit.Note(), ResponseFeatures.LocalTime(Kit.User(), Kit.Noon), device, Channel.InApp, 0, Kit.Noon);

        Assert.Equal("unknown", f.Presence);
        Assert.Equal("unknown", f.Connectivity);
        Assert.Equal(-1, f.SecondsSinceActive);
        Assert.Equal(-1, f.BatteryLevel);
        Assert.False(f.LowBattery);
        Assert.Equal(13, f.LocalHour);     // Lisbon is UTC+1 in May
    }

    [Fact]
    public void From_ActiveLongAgo_CapsAtADay()
    {
        var device = Kit.Device("d", activeAgo: TimeSpan.FromDays(9));
        var f = ResponseFeatures.From(Kit.Note(), ResponseFeatures.LocalTime(Kit.User(), Kit.Noon), device, Channel.InApp, 0, Kit.Noon);
        Assert.Equal(ResponseFeatures.MaxSecondsSinceActive, f.SecondsSinceActive);
    }

    [Fact]
    public void Responded_SeenAfterTheWait_IsFalse()
    {
        var start = new OutcomeStart("d", "n", "app", "u", "dev", Kit.Noon, TimeSpan.FromMinutes(2), default);
        Assert.True(new OutcomeRecord(start, OutcomeKind.Seen, Kit.Noon.AddMinutes(2)).Responded);
        Assert.False(new OutcomeRecord(start, OutcomeKind.Opened, Kit.Noon.AddMinutes(3)).Responded);
        Assert.False(new OutcomeRecord(start, OutcomeKind.SeenElsewhere, Kit.Noon.AddMinutes(1)).Responded);
        Assert.Null(new OutcomeRecord(start, null, null).Responded);
    }
}
