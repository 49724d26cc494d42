using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;
using static Notify.Engine.Tests.Decisions.DecisionTestKit;

namespace Notify.Engine.Tests.Decisions;

/// <summary>
/// The user's preferences: a muted category is suppressed (recorded, never sent); <c>*</c> covers every category not
/// listed; a switched-off channel is passed over in the tree with its reason, and the next step is taken.
/// </summary>
public class DecisionPreferencesTests
{
    private static readonly DateTimeOffset Now = T("2026-06-10T14:00Z");

    private static readonly Rule Chain = Parse("""
        name: mention
        match: { categories: [mention, billing] }
        steps:
          - to: best
            via: push
            wait: 5m
          - to: best
            via: inApp
            wait: 10m
          - to: user
            via: email
        """);

    private static readonly DeviceSnapshot Phone = Device("phone", Now, Platform.Android, presence: Presence.Idle);

    private static readonly CategoryPreference Mute = new(true, null);
    private static readonly CategoryPreference Unmuted = new(false, null);

    private static CategoryPreference Off(params Channel[] channels) => new(false, channels.ToDictionary(c => c, _ => false));

    private static Decision DecideFor(UserPreferences preferences, string category = "mention", int from = 0, QuietHoursSettings? quiet = null) =>
        Decide(Chain, Ana(preferences: preferences, quiet: quiet), Note(Now, category: category), [Phone], Now, from);

    [Fact]
    public void Decide_MutedCategory_IsSuppressedAndNothingIsSent()
    {
        var decision = DecideFor(Prefs(("mention", Mute)));

        Assert.True(decision.Suppressed);
        Assert.False(decision.Found);
        Assert.Null(decision.Step);
        Assert.Null(decision.Channel);
        Assert.Null(decision.Hold);
        Assert.Empty(decision.Targets);
        Assert.False(decision.ToUser);
        Assert.Equal("suppressed: the user muted this category", decision.Reason);
        Assert.Contains(decision.Trace, t => t.Message == "suppressed: the user muted this category");
    }

    [Fact]
    public void Decide_MutedCategoryDuringQuietHours_IsSuppressedNotHeld()
    {
        var quiet = new QuietHoursSettings([], Now.AddHours(2), []);

        var decision = DecideFor(Prefs(("mention", Mute)), quiet: quiet);

        Assert.True(decision.Suppressed);
        Assert.Null(decision.Hold);
    }

    [Fact]
    public void Decide_MutedCategoryOnAFollowUp_IsSuppressed()
    {
        var decision = DecideFor(Prefs(("mention", Mute)), from: 1);

        Assert.True(decision.Suppressed);
    }

    [Fact]
    public void Decide_AnotherCategoryMuted_IsDelivered()
    {
        var decision = DecideFor(Prefs(("billing", Mute)));

        Assert.False(decision.Suppressed);
        Assert.True(decision.Found, Dump(decision));
    }

    [Fact]
    public void Decide_WildcardMuted_SuppressesAnUnlistedCategory()
    {
        var decision = DecideFor(Prefs(("*", Mute)));

        Assert.True(decision.Suppressed);
    }

    [Fact]
    public void Decide_WildcardMutedButCategoryListedUnmuted_ExplicitEntryWins()
    {
        var preferences = Prefs(("*", Mute), ("mention", Unmuted));

        Assert.True(DecideFor(preferences).Found);
        Assert.True(DecideFor(preferences, category: "billing").Suppressed);
    }

    [Fact]
    public void Decide_WildcardUnmutedButCategoryMuted_CategoryIsSuppressed()
    {
        var preferences = Prefs(("*", Unmuted), ("mention", Mute));

        Assert.True(DecideFor(preferences).Suppressed);
        Assert.True(DecideFor(preferences, category: "billing").Found);
    }

    [Fact]
    public void Decide_ChannelSwitchedOff_StepPassedOverWithReasonAndNextStepTaken()
    {
        var decision = DecideFor(Prefs(("mention", Off(Channel.Push))));

        Assert.True(decision.Found, Dump(decision));
        Assert.Equal(1, decision.Step);
        Assert.Equal(Channel.InApp, decision.Channel);
        Assert.Equal("phone", Assert.Single(decision.Targets).Device.Id);
        Assert.Contains(decision.Trace, t => t.Step == 0 && t.Message == "step 1 (to best via push): passed over, the user switched push off for 'mention'");
    }

    [Fact]
    public void Decide_TwoChannelsSwitchedOff_GoesStraightToEmail()
    {
        var decision = DecideFor(Prefs(("mention", Off(Channel.Push, Channel.InApp))));

        Assert.Equal(2, decision.Step);
        Assert.True(decision.ToUser);
        Assert.Contains(decision.Trace, t => t.Step == 0 && t.Message.Contains("switched push off"));
        Assert.Contains(decision.Trace, t => t.Step == 1 && t.Message.Contains("switched inApp off"));
    }

    [Fact]
    public void Decide_EveryChannelSwitchedOff_NothingFoundButNotSuppressed()
    {
        var decision = DecideFor(Prefs(("mention", Off(Channel.Push, Channel.InApp, Channel.Email))));

        Assert.False(decision.Found);
        Assert.False(decision.Suppressed);
        Assert.Null(decision.Step);
        Assert.Contains(decision.Trace, t => t.Step == 2 && t.Message.Contains("switched email off for 'mention'"));
    }

    [Fact]
    public void Decide_ChannelSwitchedOnExplicitly_IsUsed()
    {
        var decision = DecideFor(Prefs(("mention", new CategoryPreference(false, new Dictionary<Channel, bool> { [Channel.Push] = true }))));

        Assert.Equal(0, decision.Step);
        Assert.Equal(Channel.Push, decision.Channel);
    }

    [Fact]
    public void Decide_ChannelOffForAnotherCategory_DoesNotApply()
    {
        var decision = DecideFor(Prefs(("billing", Off(Channel.Push))));

        Assert.Equal(0, decision.Step);
    }

    [Fact]
    public void Decide_WildcardChannelOff_AppliesToUnlistedCategoriesOnly()
    {
        var preferences = Prefs(("*", Off(Channel.Push)), ("billing", Unmuted));

        Assert.Equal(1, DecideFor(preferences).Step);
        Assert.Equal(0, DecideFor(preferences, category: "billing").Step);
    }

    [Fact]
    public void Decide_ChosenAlternativeOnASwitchedOffChannel_PassesOverTheStepNotToTheNextAlternative()
    {
        // if / else-if / else: the first alternative whose 'when' holds IS the step; a switched-off channel passes the
        // step over (as for a plain step) rather than falling through to the 'else'.
        var rule = Parse("""
            steps:
              - choose:
                  - when: notification.priority == 'normal'
                    to: best
                    via: push
                  - to: best
                    via: inApp
                wait: 5m
              - to: user
                via: email
            """);

        var decision = Decide(rule, Ana(preferences: Prefs(("mention", Off(Channel.Push)))), Note(Now), [Phone], Now);

        Assert.Equal(1, decision.Step);
        Assert.True(decision.ToUser);
        Assert.Contains(decision.Trace, t => t.Step == 0 && t.Message.Contains("switched push off"));
    }
}
