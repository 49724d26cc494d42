using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;
using static Notify.Engine.Tests.Decisions.DecisionTestKit;

namespace Notify.Engine.Tests.Decisions;

/// <summary>
/// The rules-v2 constructs as the decision applies them: <c>choose</c> (if / else-if / else), <c>defer</c> (for a time,
/// until quiet hours end, until a device is charging or on Wi-Fi), geofences (named <c>regions</c> and
/// <c>distance()</c>), <c>repeat</c>, and <c>all</c> fan-out alongside them.
/// </summary>
public class DecisionRuleConstructsTests
{
    // Wednesday 10 June 2026, 14:00 in Lisbon (WEST, UTC+1).
    private static readonly DateTimeOffset Now = T("2026-06-10T13:00Z");

    private static readonly BatteryState Charging = new(0.4, true, false);
    private static readonly BatteryState OnBattery = new(0.9, false, false);
    private static readonly ConnectivityState Wifi = new(ConnectivityType.Wifi, false);
    private static readonly ConnectivityState Ethernet = new(ConnectivityType.Ethernet, false);
    private static readonly ConnectivityState Cellular = new(ConnectivityType.Cellular, true);

    // ---- choose -------------------------------------------------------------------------------------------------

    private static readonly Rule Choose = Parse("""
        steps:
          - choose:
              - when: notification.priority == 'critical'
                to: all
                via: push
              - when: notification.priority == 'high'
                to: best
                where: device.platform == 'ios'
                via: push
              - to: attention
                via: inApp
            wait: 5m
          - to: user
            via: email
        """);

    private static readonly DeviceSnapshot[] Three =
    [
        Device("laptop", Now, Platform.Desktop, presence: Presence.Active, activeAgo: TimeSpan.FromSeconds(10)),
        Device("phone", Now, Platform.Android, presence: Presence.Idle),
        Device("tablet", Now, Platform.Ios, online: false),
    ];

    [Fact]
    public void Decide_ChooseFirstAlternativeHolds_TakesIt()
    {
        var decision = Decide(Choose, Ana(), Note(Now, Priority.Critical), Three, Now);

        Assert.Equal(0, decision.Step);
        Assert.Equal(Channel.Push, decision.Channel);
        Assert.Equal("laptop,phone,tablet", Ids(decision));
    }

    [Fact]
    public void Decide_ChooseElseIfHolds_SkipsTheFirstAndTakesIt()
    {
        var decision = Decide(Choose, Ana(), Note(Now, Priority.High), Three, Now);

        Assert.Equal(0, decision.Step);
        Assert.Equal(Channel.Push, decision.Channel);
        Assert.Equal("tablet", Ids(decision));
        Assert.Contains(decision.Trace, t => t.Step == 0 && t.Message == "step 1, alternative 1: skipped, 'when' notification.priority == 'critical' is false");
        Assert.DoesNotContain(decision.Trace, t => t.Message.Contains("alternative 2"));
    }

    [Fact]
    public void Decide_ChooseNoWhenHolds_TakesTheElse()
    {
        var decision = Decide(Choose, Ana(), Note(Now, Priority.Normal), Three, Now);

        Assert.Equal(0, decision.Step);
        Assert.Equal(Channel.InApp, decision.Channel);
        Assert.Equal("laptop", Ids(decision));
        Assert.Contains(decision.Trace, t => t.Message.StartsWith("step 1, alternative 1: skipped"));
        Assert.Contains(decision.Trace, t => t.Message.StartsWith("step 1, alternative 2: skipped"));
    }

    [Fact]
    public void Decide_ChooseSeveralHold_TheFirstWins()
    {
        var rule = Parse("""
            steps:
              - choose:
                  - when: notification.category == 'mention'
                    to: best
                    via: push
                  - when: notification.priority == 'normal'
                    to: all
                    via: inApp
            """);

        var decision = Decide(rule, Ana(), Note(Now), Three, Now);

        Assert.Equal(Channel.Push, decision.Channel);
        Assert.Single(decision.Targets);
    }

    [Fact]
    public void Decide_ChooseAllFalseWithoutElse_StepSkippedAndNextTaken()
    {
        var rule = Parse("""
            steps:
              - choose:
                  - when: notification.priority == 'critical'
                    to: all
                    via: push
                  - when: local.hour >= 9 && local.hour < 12
                    to: best
                    via: inApp
                wait: 5m
              - to: user
                via: email
            """);

        // 14:00 in Lisbon, priority normal: neither alternative applies.
        var decision = Decide(rule, Ana(), Note(Now), Three, Now);

        Assert.Equal(1, decision.Step);
        Assert.True(decision.ToUser);
        Assert.Contains(decision.Trace, t => t.Step == 0 && t.Message.StartsWith("step 1, alternative 1: skipped, 'when'"));
        Assert.Contains(decision.Trace, t => t.Step == 0 && t.Message.StartsWith("step 1, alternative 2: skipped, 'when' local.hour >= 9"));
    }

    [Fact]
    public void Decide_ChooseOnLocalTime_UsesTheUsersZone()
    {
        var rule = Parse("""
            steps:
              - choose:
                  - when: local.hour >= 9 && local.hour < 18
                    to: best
                    via: push
                  - to: best
                    via: inApp
            """);

        Assert.Equal(Channel.Push, Decide(rule, Ana("Europe/Lisbon"), Note(Now), Three, Now).Channel);
        Assert.Equal(Channel.InApp, Decide(rule, Ana("Asia/Tokyo"), Note(Now), Three, Now).Channel);
    }

    [Fact]
    public void Decide_ChosenAlternativeHasNoEligibleDevice_StepPassedOverNotTheNextAlternative()
    {
        var decision = Decide(Choose, Ana(), Note(Now, Priority.High), [Three[0], Three[1]], Now);

        Assert.Equal(1, decision.Step);
        Assert.Contains(decision.Trace, t => t.Step == 0 && t.Message.Contains("no eligible device"));
    }

    // ---- defer: for ---------------------------------------------------------------------------------------------

    private static readonly Rule DeferFor = Parse("""
        steps:
          - to: best
            via: push
            defer: { for: 30m }
            wait: 10m
          - to: user
            via: email
        """);

    [Fact]
    public void Decide_DeferFor_HoldsATimerUntilNowPlusTheDuration()
    {
        var decision = Decide(DeferFor, Ana(), Note(Now), Three, Now);

        Assert.False(decision.Found);
        Assert.Empty(decision.Targets);
        Assert.Equal(0, decision.Step);
        var hold = Assert.IsType<DecisionHold>(decision.Hold);
        Assert.Equal(HoldKind.Timer, hold.Kind);
        Assert.Equal(0, hold.Step);
        Assert.Equal(Now.AddMinutes(30), hold.Until);
        Assert.Equal("step 1 (to best via push): deferred for 30m", decision.Reason);
    }

    [Fact]
    public void Decide_DeferForOver_SendsTheStep()
    {
        var input = Input(DeferFor, Ana(), Note(Now), Three, Now.AddMinutes(30)) with { DeferralOver = 0 };

        var decision = DecisionEngine.Decide(input);

        Assert.True(decision.Found, Dump(decision));
        Assert.Equal(0, decision.Step);
        Assert.Equal("laptop", Ids(decision));
    }

    [Fact]
    public void Decide_DeferralOverForAnotherStep_StillDefers()
    {
        var input = Input(DeferFor, Ana(), Note(Now), Three, Now) with { DeferralOver = 1 };

        Assert.Equal(HoldKind.Timer, DecisionEngine.Decide(input).Hold?.Kind);
    }

    [Fact]
    public void Decide_DeferForPastTheTtl_TraceSaysItExpiresBeforeThen()
    {
        var decision = Decide(DeferFor, Ana(), Note(Now, ttl: TimeSpan.FromMinutes(20)), Three, Now);

        Assert.Equal(Now.AddMinutes(30), decision.Hold?.Until);
        Assert.Contains(decision.Trace, t => t.Message == "step 1 (to best via push): deferred for 30m; it expires before then");
    }

    [Fact]
    public void Decide_DeferForOnAStepPassedOver_DoesNotHold()
    {
        // The deferred step's channel is not configured: it is passed over before any deferral.
        var decision = Decide(DeferFor, Ana(), Note(Now), Three, Now, channels: new HashSet<Channel> { Channel.Email });

        Assert.Null(decision.Hold);
        Assert.Equal(1, decision.Step);
    }

    // ---- defer: until quietHoursEnd -----------------------------------------------------------------------------

    private static Rule DeferToQuietEnd(string mode) => Parse($$"""
        quietHours: {{mode}}
        steps:
          - to: best
            via: push
            defer: { until: quietHoursEnd }
            wait: 5m
          - to: user
            via: email
        """);

    // Wednesday 22:00 to Thursday 07:00, Lisbon; at Now (14:00) it is not quiet.
    private static readonly QuietHoursSettings Nights = new([W("daily", "22:00", "07:00")], null, [Priority.High]);
    private static readonly DateTimeOffset Night = T("2026-06-11T00:30Z");  // 01:30 WEST
    private static readonly DateTimeOffset NightEnd = T("2026-06-11T06:00Z"); // 07:00 WEST

    [Fact]
    public void Decide_DeferUntilQuietHoursEndWhileQuiet_HoldsEvenAnAllowedPriority()
    {
        var decision = Decide(DeferToQuietEnd("hold"), Ana(quiet: Nights), Note(Night, Priority.High), Three, Night);

        var hold = Assert.IsType<DecisionHold>(decision.Hold);
        Assert.Equal(HoldKind.QuietHours, hold.Kind);
        Assert.Equal(0, hold.Step);
        Assert.Equal(NightEnd, hold.Until);
        Assert.StartsWith("step 1 (to best via push): deferred until quiet hours end (", decision.Reason);
        Assert.Contains(decision.Trace, t => t.Message.Contains("allowed through"));
        Assert.False(decision.Found);
        Assert.Empty(decision.Targets);
    }

    [Fact]
    public void Decide_DeferUntilQuietHoursEndUnderIgnoreRule_HoldsWhileQuiet()
    {
        var decision = Decide(DeferToQuietEnd("ignore"), Ana(quiet: Nights), Note(Night), Three, Night);

        Assert.Equal(HoldKind.QuietHours, decision.Hold?.Kind);
        Assert.Equal(NightEnd, decision.Hold?.Until);
    }

    [Fact]
    public void Decide_DeferUntilQuietHoursEndWhenNotQuiet_Sends()
    {
        var decision = Decide(DeferToQuietEnd("hold"), Ana(quiet: Nights), Note(Now), Three, Now);

        Assert.True(decision.Found, Dump(decision));
        Assert.Equal(0, decision.Step);
    }

    [Fact]
    public void Decide_DeferUntilQuietHoursEndAtTheEnd_Sends()
    {
        var decision = Decide(DeferToQuietEnd("hold"), Ana(quiet: Nights), Note(NightEnd, Priority.High), Three, NightEnd);

        Assert.True(decision.Found, Dump(decision));
    }

    [Fact]
    public void Decide_StepWithoutDeferWhileQuietAndAllowed_IsNotHeldByTheOtherStepsDeferral()
    {
        var decision = Decide(DeferToQuietEnd("hold"), Ana(quiet: Nights), Note(Night, Priority.High), Three, Night, from: 1);

        Assert.True(decision.Found, Dump(decision));
        Assert.True(decision.ToUser);
    }

    [Fact]
    public void Decide_DeferUntilQuietHoursEndPastTheTtl_TraceSaysItExpiresBeforeThen()
    {
        var decision = Decide(DeferToQuietEnd("hold"), Ana(quiet: Nights), Note(Night, Priority.High, ttl: TimeSpan.FromHours(1)), Three, Night);

        Assert.Equal(NightEnd, decision.Hold?.Until);
        Assert.Contains(decision.Trace, t => t.Message.Contains("deferred until quiet hours end") && t.Message.EndsWith("; it expires before then"));
    }

    // ---- defer: until charging / wifi ---------------------------------------------------------------------------

    private static Rule DeferUntil(string until, string to = "best") => Parse($$"""
        steps:
          - to: {{to}}
            via: push
            defer: { until: {{until}} }
            wait: 1h
          - to: user
            via: email
        """);

    [Fact]
    public void Decide_DeferUntilChargingNoneCharging_HoldsForADevice()
    {
        var phone = Device("phone", Now, Platform.Android, presence: Presence.Active, battery: OnBattery);
        var watch = Device("watch", Now, Platform.Watch, presence: Presence.Idle); // battery never reported

        var decision = Decide(DeferUntil("charging"), Ana(), Note(Now), [phone, watch], Now);

        var hold = Assert.IsType<DecisionHold>(decision.Hold);
        Assert.Equal(HoldKind.Device, hold.Kind);
        Assert.Equal(0, hold.Step);
        Assert.Null(hold.Until);
        Assert.Equal($"step 1 (to best via push): deferred until charging: none of 2 eligible device(s) is ready yet; step 2 at {Now.AddHours(1):O} if none is by then", hold.Reason);
        Assert.Equal(Now.AddHours(1), hold.GiveUpAt); // the step's wait bounds the hold; then the rule moves on
        Assert.False(decision.Found);
        Assert.Empty(decision.Targets);
    }

    [Fact]
    public void Decide_DeferUntilChargingSomeCharging_TargetsOnlyAChargingDevice()
    {
        // The phone ranks better (online, active) but is not charging; the offline tablet is.
        var phone = Device("phone", Now, Platform.Android, presence: Presence.Active, battery: OnBattery);
        var tablet = Device("tablet", Now, Platform.Ios, online: false, battery: Charging);

        var decision = Decide(DeferUntil("charging"), Ana(), Note(Now), [phone, tablet], Now);

        Assert.True(decision.Found, Dump(decision));
        Assert.Equal("tablet", Ids(decision));
        Assert.Contains(decision.Trace, t => t.Message == "step 1 (to best via push): 1 device(s) ready (until charging)");
    }

    [Fact]
    public void Decide_DeferUntilChargingToAll_TargetsEveryChargingDevice()
    {
        var devices = new[]
        {
            Device("a", Now, battery: Charging),
            Device("b", Now, battery: OnBattery),
            Device("c", Now, online: false, battery: new BatteryState(0.05, true, true)),
            Device("d", Now),
        };

        var decision = Decide(DeferUntil("charging", "all"), Ana(), Note(Now), devices, Now);

        Assert.Equal("a,c", Ids(decision));
    }

    [Fact]
    public void Decide_DeferUntilChargingButNoEligibleDevice_StepPassedOverNotHeld()
    {
        var noPush = Device("phone", Now, battery: Charging, push: false);

        var decision = Decide(DeferUntil("charging"), Ana(), Note(Now), [noPush], Now);

        Assert.Null(decision.Hold);
        Assert.Equal(1, decision.Step);
        Assert.True(decision.ToUser);
    }

    [Fact]
    public void Decide_DeferUntilWifiOnlyCellular_HoldsForADevice()
    {
        var phone = Device("phone", Now, net: Cellular);
        var unknown = Device("tablet", Now);

        var decision = Decide(DeferUntil("wifi"), Ana(), Note(Now), [phone, unknown], Now);

        Assert.Equal(HoldKind.Device, decision.Hold?.Kind);
        Assert.Null(decision.Hold?.Until);
        Assert.Contains("until wifi", decision.Reason);
    }

    [Fact]
    public void Decide_DeferUntilWifi_TargetsOnlyAWifiOrEthernetDevice()
    {
        var phone = Device("phone", Now, presence: Presence.Active, net: Cellular);
        var laptop = Device("laptop", Now, Platform.Desktop, online: false, net: Ethernet);
        var tablet = Device("tablet", Now, online: false, net: Wifi);
        var off = Device("off", Now, net: new ConnectivityState(ConnectivityType.None, false));

        Assert.Equal("laptop,tablet", Ids(Decide(DeferUntil("wifi", "all"), Ana(), Note(Now), [phone, laptop, tablet, off], Now)));
        var best = Decide(DeferUntil("wifi"), Ana(), Note(Now), [phone, laptop, tablet, off], Now);
        Assert.Single(best.Targets);
        Assert.NotEqual("phone", Ids(best));
    }

    [Fact]
    public void Decide_DeferUntilACelCondition_HoldsUntilADeviceSatisfiesIt()
    {
        var rule = DeferUntil("device.battery.known && device.battery.level >= 0.8");

        Assert.Equal(HoldKind.Device, Decide(rule, Ana(), Note(Now), [Device("p", Now, battery: Charging)], Now).Hold?.Kind);
        Assert.True(Decide(rule, Ana(), Note(Now), [Device("p", Now, battery: OnBattery)], Now).Found);
    }

    // ---- geofences ----------------------------------------------------------------------------------------------

    private const double OfficeLat = 38.7223, OfficeLon = -9.1393;
    private static GeoLocation North(double metres) => new(OfficeLat + metres / 111_195.0, OfficeLon, 10);

    private static readonly Rule InOffice = Parse("""
        regions:
          office: { lat: 38.7223, lon: -9.1393, radius: 200m }
        steps:
          - to: all
            via: push
            where: "'office' in device.regions"
        """);

    private static readonly Rule OutsideOffice = Parse("""
        regions:
          office: { lat: 38.7223, lon: -9.1393, radius: 200m }
        steps:
          - to: all
            via: push
            where: "device.location.known && !('office' in device.regions)"
        """);

    private static readonly Rule Near = Parse("""
        steps:
          - to: all
            via: push
            where: distance(device.location, 38.7223, -9.1393) < 500.0
        """);

    private static readonly DeviceSnapshot[] Around =
    [
        Device("at-desk", Now, location: North(0)),
        Device("lobby", Now, location: North(100)),
        Device("cafe", Now, location: North(300)),
        Device("home", Now, location: North(1000)),
        Device("unknown", Now),
    ];

    [Fact]
    public void Parse_Regions_LoadsTheCircles()
    {
        var region = Assert.Single(InOffice.Regions);
        Assert.Equal("office", region.Key);
        Assert.Equal(new Region(OfficeLat, OfficeLon, 200), region.Value);
        Assert.Equal(1500, Parse("regions: { r: { lat: 0, lon: 0, radius: 1.5km } }\nsteps:\n  - to: best\n    via: inApp\n").Regions["r"].RadiusMeters);
    }

    [Fact]
    public void Decide_NamedRegion_OnlyDevicesInsideAreEligible()
    {
        var decision = Decide(InOffice, Ana(), Note(Now), Around, Now);

        Assert.Equal("at-desk,lobby", Ids(decision));
        Assert.Contains(decision.Trace, t => t.DeviceId == "cafe" && t.Message.Contains("'where' 'office' in device.regions is false"));
        Assert.Contains(decision.Trace, t => t.DeviceId == "unknown" && t.Message.Contains("is false"));
    }

    [Fact]
    public void Decide_OutsideNamedRegion_KnownLocationsOutsideAreEligible()
    {
        var decision = Decide(OutsideOffice, Ana(), Note(Now), Around, Now);

        Assert.Equal("cafe,home", Ids(decision));
    }

    [Fact]
    public void Decide_NobodyInTheRegion_StepPassedOver()
    {
        var decision = Decide(InOffice, Ana(), Note(Now), [Around[3], Around[4]], Now);

        Assert.False(decision.Found);
        Assert.Contains(decision.Trace, t => t.Message.Contains("no eligible device"));
    }

    [Fact]
    public void Decide_Distance_InsideTheCircleOnlyUnknownLocationIsFar()
    {
        var decision = Decide(Near, Ana(), Note(Now), Around, Now);

        Assert.Equal("at-desk,cafe,lobby", Ids(decision));
        Assert.Contains(decision.Trace, t => t.DeviceId == "unknown" && t.Message.Contains("is false"));
        Assert.Contains(decision.Trace, t => t.DeviceId == "home" && t.Message.Contains("is false"));
    }

    [Fact]
    public void Region_Distance_IsGreatCircleMetres()
    {
        Assert.InRange(Region.Distance(OfficeLat, OfficeLon, North(1000).Lat, OfficeLon), 999.0, 1001.0);
        // Lisbon to Porto, about 274 km.
        Assert.InRange(Region.Distance(38.7223, -9.1393, 41.1579, -8.6291), 270_000, 278_000);
    }

    // ---- repeat -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)]
    public void Parse_RepeatUpToTheCap_IsKept(int repeat)
    {
        var rule = Parse($"repeat: {repeat}\nsteps:\n  - to: all\n    via: push\n    wait: 5m\n");

        Assert.Equal(repeat, rule.Repeat);
        Assert.Equal(10, Rule.MaxRepeat);
    }

    [Fact]
    public void Parse_NoRepeat_IsZero()
    {
        Assert.Equal(0, Parse("steps:\n  - to: all\n    via: push\n").Repeat);
    }

    [Fact]
    public void Parse_RepeatAboveTheCap_IsRefused()
    {
        var result = RuleParser.Parse("repeat: 11\nsteps:\n  - to: all\n    via: push\n    wait: 5m\n", "r");

        Assert.Null(result.Rule);
        Assert.Contains(result.Problems, p => p.Line == 1 && p.Message.Contains("0 to 10"));
    }

    [Fact]
    public void Parse_RepeatWithoutAWaitOnTheLastStep_IsRefused()
    {
        var result = RuleParser.Parse("repeat: 3\nsteps:\n  - to: all\n    via: push\n", "r");

        Assert.Null(result.Rule);
        Assert.Contains(result.Problems, p => p.Line == 1 && p.Message.Contains("give the last step a 'wait'"));
    }

    private static readonly Rule RepeatBest = Parse("repeat: 3\nsteps:\n  - to: best\n    via: push\n    wait: 5m\n");
    private static readonly Rule RepeatAll = Parse("repeat: 3\nsteps:\n  - to: all\n    via: push\n    wait: 5m\n");

    [Fact]
    public void Decide_RepeatOfTheLastStep_SendsAgainToADeviceThatHasIt()
    {
        var phone = Device("phone", Now, presence: Presence.Active);
        var input = Input(RepeatBest, Ana(), Note(Now), [phone], Now, reached: [("phone", Channel.Push)]);

        var first = DecisionEngine.Decide(input);
        var repeat = DecisionEngine.Decide(input with { IsRepeat = true });

        Assert.False(first.Found);
        Assert.Contains(first.Trace, t => t.DeviceId == "phone" && t.Message.Contains("already has it"));
        Assert.True(repeat.Found, Dump(repeat));
        Assert.Equal("phone", Ids(repeat));
        Assert.DoesNotContain(repeat.Trace, t => t.Message.Contains("already has it"));
    }

    [Fact]
    public void Decide_RepeatToAll_FansOutToEveryEligibleDeviceAgain()
    {
        var devices = new[] { Device("a", Now), Device("b", Now, online: false), Device("c", Now, push: false) };
        var reached = new[] { ("a", Channel.Push), ("b", Channel.Push) };
        var input = Input(RepeatAll, Ana(), Note(Now), devices, Now, reached: reached);

        Assert.False(DecisionEngine.Decide(input).Found);
        Assert.Equal("a,b", Ids(DecisionEngine.Decide(input with { IsRepeat = true })));
    }

    [Fact]
    public void Decide_AllNotARepeat_PassesOverOnlyTheDevicesThatHaveIt()
    {
        var devices = new[] { Device("a", Now), Device("b", Now, online: false), Device("c", Now) };

        var decision = Decide(RepeatAll, Ana(), Note(Now), devices, Now, reached: [("a", Channel.Push)]);

        Assert.Equal("b,c", Ids(decision));
    }

    [Fact]
    public void Decide_AlreadyReachedOnAnotherChannel_IsStillEligible()
    {
        var phone = Device("phone", Now);

        var decision = Decide(RepeatBest, Ana(), Note(Now), [phone], Now, reached: [("phone", Channel.InApp)]);

        Assert.Equal("phone", Ids(decision));
    }
}
