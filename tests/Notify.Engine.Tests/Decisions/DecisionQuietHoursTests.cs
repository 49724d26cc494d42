using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;
using static Notify.Engine.Tests.Decisions.DecisionTestKit;

namespace Notify.Engine.Tests.Decisions;

/// <summary>
/// Quiet hours meet the rule's <c>quietHours</c> mode: hold (wait until the real end of the quiet period, DST included),
/// silent, ignore; the user's allow list (exact priorities, <c>critical</c> not special); snooze; a hold past the TTL.
/// </summary>
public class DecisionQuietHoursTests
{
    // Wednesday 14 January 2026 22:00 to Thursday 07:00 in Lisbon (WET, UTC+0 in winter).
    private static readonly QuietWindow WedNight = W("wed", "22:00", "07:00");
    private static readonly DateTimeOffset WedNightAt1 = T("2026-01-15T01:00Z");
    private static readonly DateTimeOffset WedNightEnd = T("2026-01-15T07:00Z");

    private static Rule RuleWith(string mode) => Parse($$"""
        name: mention
        match: { category: mention }
        quietHours: {{mode}}
        steps:
          - to: best
            via: push
            wait: 5m
          - to: user
            via: email
        """);

    private static readonly Rule Hold = RuleWith("hold");
    private static readonly Rule Silent = RuleWith("silent");
    private static readonly Rule Ignore = RuleWith("ignore");

    private static DeviceSnapshot[] Phone(DateTimeOffset now) => [Device("phone", now, Platform.Ios, presence: Presence.Idle)];

    private static Decision DecideAt(Rule rule, QuietHoursSettings quiet, DateTimeOffset now, Priority priority = Priority.Normal,
        string zone = "Europe/Lisbon", TimeSpan? ttl = null, int from = 0) =>
        Decide(rule, Ana(zone, quiet), Note(now, priority, ttl), Phone(now), now, from);

    private static void AssertHeld(Decision decision, DateTimeOffset until, int step = 0)
    {
        Assert.False(decision.Found, Dump(decision));
        Assert.Empty(decision.Targets);
        Assert.False(decision.ToUser);
        var hold = Assert.IsType<DecisionHold>(decision.Hold);
        Assert.Equal(HoldKind.QuietHours, hold.Kind);
        Assert.Equal(step, hold.Step);
        Assert.Equal(until, hold.Until);
        Assert.StartsWith("held: ", decision.Reason);
    }

    [Fact]
    public void Decide_HoldRuleInsideOvernightWindow_HoldsUntilTheWindowEnds()
    {
        var decision = DecideAt(Hold, Quiet(WedNight), WedNightAt1);

        AssertHeld(decision, WedNightEnd);
        Assert.Contains(decision.Trace, t => t.Message.Contains("wed 22:00-07:00 (Europe/Lisbon)") && t.Message.Contains("2026-01-15T07:00:00Z"));
    }

    [Fact]
    public void Decide_HoldRuleBeforeMidnightInOvernightWindow_HoldsUntilNextMorning()
    {
        var decision = DecideAt(Hold, Quiet(WedNight), T("2026-01-14T22:00Z"));

        AssertHeld(decision, WedNightEnd);
    }

    [Theory]
    // Lisbon, spring forward (Sun 29 March 2026, 01:00 WET -> 02:00 WEST): 22:00 WET to 07:00 WEST is 8 hours.
    [InlineData("Europe/Lisbon", "2026-03-28T23:30Z", "2026-03-29T06:00Z")]
    [InlineData("Europe/Lisbon", "2026-03-29T03:00Z", "2026-03-29T06:00Z")]
    // Lisbon, fall back (Sun 25 October 2026, 02:00 WEST -> 01:00 WET): 22:00 WEST to 07:00 WET is 10 hours.
    [InlineData("Europe/Lisbon", "2026-10-24T22:30Z", "2026-10-25T07:00Z")]
    [InlineData("Europe/Lisbon", "2026-10-25T06:30Z", "2026-10-25T07:00Z")]
    // New York, spring forward (Sun 8 March 2026, 02:00 EST -> 03:00 EDT): ends 07:00 EDT = 11:00Z, not 12:00Z.
    [InlineData("America/New_York", "2026-03-08T04:30Z", "2026-03-08T11:00Z")]
    [InlineData("America/New_York", "2026-03-08T10:59Z", "2026-03-08T11:00Z")]
    // New York, fall back (Sun 1 November 2026, 02:00 EDT -> 01:00 EST): ends 07:00 EST = 12:00Z, not 11:00Z.
    [InlineData("America/New_York", "2026-11-01T03:30Z", "2026-11-01T12:00Z")]
    [InlineData("America/New_York", "2026-11-01T11:30Z", "2026-11-01T12:00Z")]
    public void Decide_HoldRuleOvernightAcrossDaylightSavingChange_HoldsUntilTheRealLocalEnd(string zone, string now, string until)
    {
        var decision = DecideAt(Hold, Quiet(W("sat", "22:00", "07:00")), T(now), zone: zone);

        AssertHeld(decision, T(until));
    }

    [Theory]
    [InlineData("Europe/Lisbon", "2026-03-29T06:00Z")]
    [InlineData("Europe/Lisbon", "2026-10-25T07:00Z")]
    [InlineData("America/New_York", "2026-03-08T11:00Z")]
    [InlineData("America/New_York", "2026-11-01T12:00Z")]
    public void Decide_HoldRuleAtTheRealLocalEndAfterDaylightSavingChange_Sends(string zone, string now)
    {
        var decision = DecideAt(Hold, Quiet(W("sat", "22:00", "07:00")), T(now), zone: zone);

        Assert.True(decision.Found, Dump(decision));
        Assert.Equal("phone", Assert.Single(decision.Targets).Device.Id);
    }

    [Theory]
    [InlineData("2026-10-25T00:45Z")] // 01:45 WEST: the first 01:30 has passed
    [InlineData("2026-10-25T01:10Z")] // 01:10 WET: the clock shows 01:10 a second time
    public void Decide_WindowEndingInFallBackOverlap_HoldsUntilTheSecondOccurrence(string now)
    {
        // 01:30 happens twice in Lisbon on 25 October 2026 (00:30Z and 01:30Z); an end maps to the later one.
        var decision = DecideAt(Hold, Quiet(W("sat", "22:00", "01:30")), T(now));

        AssertHeld(decision, T("2026-10-25T01:30Z"));
    }

    [Fact]
    public void Decide_WindowEndingInSpringForwardGap_HoldsUntilTheJump()
    {
        // 02:30 does not exist in New York on 8 March 2026: the window ends when the clock jumps to 03:00 EDT (07:00Z).
        var decision = DecideAt(Hold, Quiet(W("sat", "22:00", "02:30")), T("2026-03-08T05:00Z"), zone: "America/New_York");

        AssertHeld(decision, T("2026-03-08T07:00Z"));
    }

    [Theory]
    [InlineData("2026-03-08T06:59Z", false)] // 01:59 EST: before the gap, before the window
    [InlineData("2026-03-08T07:00Z", true)]  // 03:00 EDT: the clock jumped past 02:30, so quiet has started
    [InlineData("2026-03-08T08:59Z", true)]  // 04:59 EDT
    [InlineData("2026-03-08T09:00Z", false)] // 05:00 EDT: over
    public void Decide_WindowStartingInSpringForwardGap_StartsAtTheJump(string now, bool held)
    {
        var decision = DecideAt(Hold, Quiet(W("sun", "02:30", "05:00")), T(now), zone: "America/New_York");

        if (held) AssertHeld(decision, T("2026-03-08T09:00Z"));
        else Assert.True(decision.Found, Dump(decision));
    }

    [Fact]
    public void Decide_HoldRuleAtTheExactEndOfTheWindow_Sends()
    {
        var decision = DecideAt(Hold, Quiet(WedNight), WedNightEnd);

        Assert.True(decision.Found, Dump(decision));
        Assert.Null(decision.Hold);
        Assert.False(decision.Silent);
    }

    [Fact]
    public void Decide_HoldRuleOutsideQuietHours_SendsWithoutMentioningQuietHours()
    {
        var decision = DecideAt(Hold, Quiet(WedNight), T("2026-01-14T21:59Z"));

        Assert.True(decision.Found, Dump(decision));
        Assert.False(decision.Silent);
        Assert.DoesNotContain(decision.Trace, t => t.Message.Contains("quiet hours"));
    }

    [Fact]
    public void Decide_SilentRuleInsideQuietHours_DeliversSilently()
    {
        var decision = DecideAt(Silent, Quiet(WedNight), WedNightAt1);

        Assert.True(decision.Found, Dump(decision));
        Assert.True(decision.Silent);
        Assert.Null(decision.Hold);
        Assert.Equal(Channel.Push, decision.Channel);
        Assert.Equal("phone", Assert.Single(decision.Targets).Device.Id);
        Assert.Contains(decision.Trace, t => t.Message.Contains("delivering silently (rule quietHours: silent)"));
        Assert.Contains(decision.Trace, t => t.Step == 0 && t.Message.EndsWith("(silently)"));
    }

    [Fact]
    public void Decide_SilentRuleEmailStepInsideQuietHours_IsSilentToo()
    {
        var decision = DecideAt(Silent, Quiet(WedNight), WedNightAt1, from: 1);

        Assert.True(decision.Found, Dump(decision));
        Assert.True(decision.ToUser);
        Assert.True(decision.Silent);
    }

    [Fact]
    public void Decide_SilentRuleOutsideQuietHours_IsNotSilent()
    {
        var decision = DecideAt(Silent, Quiet(WedNight), T("2026-01-15T12:00Z"));

        Assert.True(decision.Found, Dump(decision));
        Assert.False(decision.Silent);
    }

    [Fact]
    public void Decide_IgnoreRuleInsideQuietHours_DeliversAsIfNotQuiet()
    {
        var decision = DecideAt(Ignore, Quiet(WedNight), WedNightAt1);

        Assert.True(decision.Found, Dump(decision));
        Assert.False(decision.Silent);
        Assert.Null(decision.Hold);
        Assert.Contains(decision.Trace, t => t.Message.Contains("ignored (rule quietHours: ignore)"));
    }

    [Fact]
    public void Decide_AllowedHighPriorityInsideQuietHours_PassesNormally()
    {
        var decision = DecideAt(Hold, Quiet(WedNight, Priority.High), WedNightAt1, Priority.High);

        Assert.True(decision.Found, Dump(decision));
        Assert.False(decision.Silent);
        Assert.Contains(decision.Trace, t => t.Message.Contains("but priority high is allowed through"));
    }

    [Fact]
    public void Decide_AllowedPriorityUnderSilentRule_IsNotSilent()
    {
        var decision = DecideAt(Silent, Quiet(WedNight, Priority.High), WedNightAt1, Priority.High);

        Assert.True(decision.Found, Dump(decision));
        Assert.False(decision.Silent);
    }

    [Fact]
    public void Decide_CriticalNotInAllowList_IsHeldLikeAnyOtherPriority()
    {
        var decision = DecideAt(Hold, Quiet(WedNight, Priority.High), WedNightAt1, Priority.Critical);

        AssertHeld(decision, WedNightEnd);
    }

    [Fact]
    public void Decide_CriticalWithEmptyAllowList_IsHeld()
    {
        var decision = DecideAt(Hold, Quiet(WedNight), WedNightAt1, Priority.Critical);

        AssertHeld(decision, WedNightEnd);
    }

    [Fact]
    public void Decide_CriticalInAllowList_Passes()
    {
        var decision = DecideAt(Hold, Quiet(WedNight, Priority.Critical), WedNightAt1, Priority.Critical);

        Assert.True(decision.Found, Dump(decision));
        Assert.Contains(decision.Trace, t => t.Message.Contains("priority critical is allowed through"));
    }

    [Theory]
    [InlineData(Priority.Low)]
    [InlineData(Priority.Normal)]
    [InlineData(Priority.Critical)]
    public void Decide_AllowListIsExactNotAThreshold_OtherPrioritiesAreHeld(Priority priority)
    {
        var decision = DecideAt(Hold, Quiet(WedNight, Priority.High), WedNightAt1, priority);

        AssertHeld(decision, WedNightEnd);
    }

    [Fact]
    public void Decide_Snoozed_HoldsUntilTheSnoozeEnds()
    {
        var now = T("2026-01-15T12:00Z");
        var snooze = new QuietHoursSettings([], now.AddMinutes(45), []);

        var decision = DecideAt(Hold, snooze, now);

        AssertHeld(decision, now.AddMinutes(45));
        Assert.Contains(decision.Trace, t => t.Message.Contains("snoozed"));
    }

    [Fact]
    public void Decide_SnoozeOver_Sends()
    {
        var now = T("2026-01-15T12:00Z");
        var snooze = new QuietHoursSettings([WedNight], now.AddMinutes(-1), []);

        Assert.True(DecideAt(Hold, snooze, now).Found);
        Assert.True(DecideAt(Hold, snooze with { SnoozeUntil = now }, now).Found);
    }

    [Fact]
    public void Decide_SnoozeRunningIntoAWindow_HoldsUntilTheWindowEnds()
    {
        var now = T("2026-01-14T21:00Z");
        var snooze = new QuietHoursSettings([WedNight], T("2026-01-14T22:30Z"), []);

        var decision = DecideAt(Hold, snooze, now);

        AssertHeld(decision, WedNightEnd);
    }

    [Fact]
    public void Decide_SnoozedUnderSilentRule_DeliversSilently()
    {
        var now = T("2026-01-15T12:00Z");

        var decision = DecideAt(Silent, new QuietHoursSettings([], now.AddHours(1), []), now);

        Assert.True(decision.Found, Dump(decision));
        Assert.True(decision.Silent);
    }

    [Fact]
    public void Decide_SnoozedButPriorityAllowed_Passes()
    {
        var now = T("2026-01-15T12:00Z");

        var decision = DecideAt(Hold, new QuietHoursSettings([], now.AddHours(1), [Priority.Critical]), now, Priority.Critical);

        Assert.True(decision.Found, Dump(decision));
    }

    [Fact]
    public void Decide_HoldEndingAfterTheTtl_TraceSaysItExpiresBeforeThen()
    {
        // Quiet until 07:00Z, but the notification lives one hour from 01:00Z.
        var decision = DecideAt(Hold, Quiet(WedNight), WedNightAt1, ttl: TimeSpan.FromHours(1));

        AssertHeld(decision, WedNightEnd);
        Assert.Contains(decision.Trace, t => t.Message.StartsWith("held: ") && t.Message.EndsWith("; it expires before then"));
    }

    [Fact]
    public void Decide_HoldEndingExactlyAtTheTtl_TraceSaysItExpiresBeforeThen()
    {
        // Expired at ExpiresAt (now >= ExpiresAt), so a release at that very instant is too late.
        var decision = DecideAt(Hold, Quiet(WedNight), WedNightAt1, ttl: WedNightEnd - WedNightAt1);

        Assert.Contains(decision.Trace, t => t.Message.EndsWith("; it expires before then"));
    }

    [Fact]
    public void Decide_HoldEndingBeforeTheTtl_TraceDoesNotMentionExpiry()
    {
        var decision = DecideAt(Hold, Quiet(WedNight), WedNightAt1, ttl: TimeSpan.FromHours(12));

        AssertHeld(decision, WedNightEnd);
        Assert.DoesNotContain(decision.Trace, t => t.Message.Contains("expires"));
    }

    [Fact]
    public void Decide_FollowUpStepInsideQuietHours_HoldsThatStep()
    {
        var decision = DecideAt(Hold, Quiet(WedNight), WedNightAt1, from: 1);

        AssertHeld(decision, WedNightEnd, step: 1);
    }

    [Fact]
    public void Decide_QuietHoursInTheUsersZone_NotTheServers()
    {
        // 01:00Z on Thursday is 20:00 Wednesday in New York: not yet quiet there.
        var decision = DecideAt(Hold, Quiet(WedNight), WedNightAt1, zone: "America/New_York");

        Assert.True(decision.Found, Dump(decision));
    }
}
