using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Rules;
using static Notify.Engine.Tests.Decisions.DecisionTestKit;

namespace Notify.Engine.Tests.Decisions;

/// <summary>Issue 11's decisions, on the pure engine: the device the user is really using, presence that ages, location
/// steps that wait for the user to arrive, and desktops on mains power.</summary>
public class DecisionTrustTests
{
    private static readonly DateTimeOffset Noon = T("2026-12-01T12:00Z");
    private static readonly TimeSpan Stale = DeviceRanking.DefaultPresenceStaleAfter;

    private static Decision Decide(Rule rule, params DeviceSnapshot[] devices) =>
        DecisionEngine.Decide(Input(rule, Ana(), Note(Noon), devices, Noon) with { PresenceStaleAfter = Stale });

    [Fact]
    public void BestViaPush_PhoneUsedAMinuteAgoOffline_BeatsTabletOnlineOnWifiUnusedForDays()
    {
        var rule = Parse("steps: [{ to: best, via: push }]");
        var phone = Device("phone", Noon, Platform.Ios, online: false, Presence.Idle, TimeSpan.FromMinutes(1));
        var tablet = Device("tablet", Noon, Platform.Ios, online: true, Presence.Idle, TimeSpan.FromDays(3), net: new ConnectivityState(ConnectivityType.Wifi, false));

        var decision = Decide(rule, tablet, phone);

        Assert.Equal("phone", Ids(decision));
        Assert.Contains(decision.Trace, t => t.Kind == TraceKind.Ranked && t.DeviceId == "tablet");
    }

    [Fact]
    public void BestViaInApp_StillPrefersTheOnlineDevice_ItIsTheOnlyOneAnInAppMessageReaches()
    {
        var rule = Parse("steps: [{ to: best, via: inApp }]");
        var phone = Device("phone", Noon, Platform.Ios, online: false, Presence.Idle, TimeSpan.FromMinutes(1));
        var tablet = Device("tablet", Noon, Platform.Ios, online: true, Presence.Idle, TimeSpan.FromDays(3));
        Assert.Equal("tablet", Ids(Decide(rule, tablet, phone)));
    }

    [Fact]
    public void Attention_DesktopActive40MinutesAgo_IsStale_ThePhoneUsed20SecondsAgoGetsThePush()
    {
        var rule = Parse("""
            steps:
              - { to: attention, where: "device.platform in ['desktop', 'web'] || device.foreground", via: inApp, wait: 2m }
              - { to: attention, where: "device.platform in ['ios', 'android']", via: push, wait: 2m }
            """);
        var desktop = Device("desktop", Noon, Platform.Desktop, online: true, Presence.Active, TimeSpan.FromMinutes(40), push: false);
        var phone = Device("phone", Noon, Platform.Ios, online: false, Presence.Active, TimeSpan.FromSeconds(20));

        var decision = Decide(rule, desktop, phone);

        Assert.Equal((1, Channel.Push, "phone"), (decision.Step, decision.Channel, Ids(decision)));
        Assert.Contains(decision.Trace, t => t.Kind == TraceKind.PassedOver && t.DeviceId == "desktop" && t.Message.Contains("presence idle"));
    }

    [Fact]
    public void Attention_ActiveWithinTheWindow_StillCounts()
    {
        var rule = Parse("steps: [{ to: attention, via: inApp }]");
        var desktop = Device("desktop", Noon, Platform.Desktop, online: true, Presence.Active, Stale - TimeSpan.FromSeconds(1), push: false);
        Assert.Equal("desktop", Ids(Decide(rule, desktop)));
    }

    [Fact]
    public void Aged_WithoutAWindow_ActiveStaysActive()
    {
        var desktop = Device("desktop", Noon, Platform.Desktop, online: true, Presence.Active, TimeSpan.FromHours(2), push: false);
        var decision = DecisionEngine.Decide(Input(Parse("steps: [{ to: attention, via: inApp }]"), Ana(), Note(Noon), [desktop], Noon));
        Assert.True(decision.Found);
    }

    private const string Office = """
        regions: { office: { lat: 38.7223, lon: -9.1393, radius: 250m } }
        steps:
          - to: best
            where: "'office' in user.regions"
            via: inApp
            defer: { until: "'office' in user.regions" }
            wait: 1h
          - to: best
            via: inApp
        """;

    private static readonly GeoLocation AtTheOffice = new(38.7224, -9.1392, 10);
    private static readonly GeoLocation FiveKmAway = new(38.7600, -9.1000, 10);

    [Fact]
    public void LocationStep_PhoneInUse5KmFromTheOffice_HoldsForTheStep_DoesNotPassItOver()
    {
        var phone = Device("phone", Noon, Platform.Ios, online: true, Presence.Active, TimeSpan.FromSeconds(30), location: FiveKmAway);

        var decision = Decide(Parse(Office), phone);

        Assert.Equal(HoldKind.Device, decision.Hold?.Kind);
        Assert.Equal(0, decision.Hold!.Step);
        Assert.Equal(Noon.AddHours(1), decision.Hold.GiveUpAt);
        Assert.Equal(TraceKind.Held, decision.Trace.Last().Kind);
    }

    [Fact]
    public void LocationStep_TabletLeftAtTheOffice_SaysNothingAboutWhereTheUserIs()
    {
        var tablet = Device("tablet", Noon, Platform.Ios, online: true, Presence.Idle, TimeSpan.FromDays(2), location: AtTheOffice);
        var phone = Device("phone", Noon, Platform.Ios, online: true, Presence.Active, TimeSpan.FromSeconds(30), location: FiveKmAway);

        Assert.Equal(HoldKind.Device, Decide(Parse(Office), tablet, phone).Hold?.Kind);
    }

    [Fact]
    public void LocationStep_UserArrivesWithThePhone_Delivered()
    {
        var phone = Device("phone", Noon, Platform.Ios, online: true, Presence.Active, TimeSpan.FromSeconds(30), location: AtTheOffice);

        var decision = Decide(Parse(Office), phone);

        Assert.Equal((0, "phone"), (decision.Step, Ids(decision)));
        Assert.Contains(decision.Trace, t => t.Kind == TraceKind.Ready);
    }

    [Fact]
    public void DeviceRegions_StillMeanWhereThatDeviceIs()
    {
        var rule = Parse("""
            regions: { office: { lat: 38.7223, lon: -9.1393, radius: 250m } }
            steps: [{ to: best, where: "'office' in device.regions", via: inApp }]
            """);
        var tablet = Device("tablet", Noon, Platform.Ios, online: true, Presence.Idle, TimeSpan.FromDays(2), location: AtTheOffice);
        var phone = Device("phone", Noon, Platform.Ios, online: true, Presence.Active, TimeSpan.FromSeconds(30), location: FiveKmAway);
        Assert.Equal("tablet", Ids(Decide(rule, tablet, phone)));
    }

    [Fact]
    public void UserRegions_UndeclaredRegion_IsARuleProblem()
    {
        var parsed = RuleParser.Parse("steps: [{ to: best, where: \"'gym' in user.regions\", via: inApp }]", "r");
        Assert.Contains(parsed.Problems, p => p.Message.Contains("region 'gym' is not declared"));
    }

    [Theory]
    [InlineData(Platform.Desktop, true)]
    [InlineData(Platform.Web, true)]
    [InlineData(Platform.Android, false)]
    public void ChargingDeferral_NoBatteryReported_DesktopsAreOnMains(Platform platform, bool ready)
    {
        var rule = Parse("steps: [{ to: best, via: inApp, defer: { until: charging } }]");
        var device = Device("d", Noon, platform, online: true, Presence.Idle, TimeSpan.FromMinutes(5), push: false);

        var decision = Decide(rule, device);

        Assert.Equal(ready, decision.Found);
        Assert.Equal(!ready, decision.Hold is not null);
    }

    [Fact]
    public void ChargingDeferral_DesktopWithABatteryNotCharging_IsNotOnMains()
    {
        var rule = Parse("steps: [{ to: best, via: inApp, defer: { until: charging } }]");
        var laptop = Device("laptop", Noon, Platform.Desktop, online: true, battery: new BatteryState(0.6, false, false), push: false);
        Assert.NotNull(Decide(rule, laptop).Hold);
    }
}
