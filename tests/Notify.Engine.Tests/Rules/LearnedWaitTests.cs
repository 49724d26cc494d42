using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Rules;
using static Notify.Engine.Tests.Decisions.DecisionTestKit;

namespace Notify.Engine.Tests.Rules;

/// <summary><c>wait: { learned: true, min, max, default }</c>: parsing and its errors, the bounds, the fallback without
/// history, the decision's resolved wait and its trace, and <see cref="ResponseTimes"/> that learns the typical time.</summary>
public class LearnedWaitTests
{
    private static readonly DateTimeOffset Now = T("2026-06-10T13:00Z");

    private static RuleParseResult ParseResult(string yaml) => RuleParser.Parse(yaml, "r", "r.yaml");

    private static string Rule(string wait) => $$"""
        steps:
          - to: best
            via: push
            wait: {{wait}}
          - to: user
            via: email
        """;

    private static void Refused(string wait, int line, string text)
    {
        var result = ParseResult(Rule(wait));
        Assert.Null(result.Rule);
        Assert.Single(result.Problems, p => p.Line == line && p.Message.Contains(text, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_LearnedWait_LoadsBoundsAndDefault_WaitIsTheMax()
    {
        var step = Parse(Rule("{ learned: true, min: 30s, max: 5m, default: 2m }")).Steps[0];

        Assert.Equal(new LearnedWait(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(2)), step.Learned);
        Assert.Equal(TimeSpan.FromMinutes(5), step.Wait);
    }

    [Fact]
    public void Parse_LearnedWaitWithoutDefault_DefaultsToMax()
    {
        Assert.Equal(TimeSpan.FromMinutes(15), Parse(Rule("{ learned: true, min: 1m, max: 15m }")).Steps[0].Learned!.Default);
    }

    [Fact]
    public void Parse_FixedWait_HasNoLearnedWait()
    {
        Assert.Null(Parse(Rule("5m")).Steps[0].Learned);
    }

    [Fact]
    public void Parse_LearnedWaitMinAboveMax_Refused() => Refused("{ learned: true, min: 10m, max: 5m }", 4, "min (10m) is more than its max (5m)");

    [Fact]
    public void Parse_LearnedWaitWithoutMax_Refused() => Refused("{ learned: true, min: 1m }", 4, "needs 'max'");

    [Fact]
    public void Parse_LearnedWaitDefaultOutsideBounds_Refused() => Refused("{ learned: true, min: 1m, max: 5m, default: 10m }", 4, "default (10m) is outside 1m..5m");

    [Fact]
    public void Parse_LearnedWaitBadDuration_Refused() => Refused("{ learned: true, min: soon, max: 5m }", 4, "'min' of a learned wait is 'soon'");

    [Fact]
    public void Parse_LearnedWaitUnknownKey_Refused() => Refused("{ learned: true, min: 1m, max: 5m, quantile: 0.9 }", 4, "unknown key 'quantile'");

    [Fact]
    public void Parse_WaitMappingWithoutLearned_Refused() => Refused("{ min: 1m, max: 5m }", 4, "a 'wait' mapping is a learned wait");

    [Fact]
    public void Parse_BareLearned_AsksForTheBounds() => Refused("learned", 4, "a learned wait needs its bounds");

    [Theory]
    [InlineData(10, 60)]    // faster than the minimum: the minimum
    [InlineData(90, 90)]    // inside the bounds: the user's own time
    [InlineData(3600, 300)] // slower than the maximum: the maximum
    public void Resolve_TypicalTime_ClampedToTheBounds(int typicalSeconds, int expectedSeconds)
    {
        var learned = new LearnedWait(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(4));
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), learned.Resolve(TimeSpan.FromSeconds(typicalSeconds)));
    }

    [Fact]
    public void Resolve_NoHistory_TheDefault()
    {
        Assert.Equal(TimeSpan.FromMinutes(4), new LearnedWait(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(4)).Resolve(null));
    }

    [Fact]
    public void Decide_LearnedWaitAndAFastUser_WaitsTheirTimeAndSaysSoInTheTrace()
    {
        var rule = Parse(Rule("{ learned: true, min: 1m, max: 15m }"));
        var input = Input(rule, Ana(), Note(Now), [Device("phone", Now)], Now) with { TypicalResponse = TimeSpan.FromSeconds(150) };

        var decision = DecisionEngine.Decide(input);

        Assert.Equal(TimeSpan.FromSeconds(150), decision.Wait);
        Assert.Contains(decision.Trace, t => t.Message == "step 1: wait 2m30s (learned, 1m..15m; the user's typical response time is 2m30s)");
    }

    [Fact]
    public void Decide_LearnedWaitWithoutHistory_WaitsTheDefaultAndSaysSo()
    {
        var decision = Decide(Parse(Rule("{ learned: true, min: 1m, max: 15m, default: 10m }")), Ana(), Note(Now), [Device("phone", Now)], Now);

        Assert.Equal(TimeSpan.FromMinutes(10), decision.Wait);
        Assert.Contains(decision.Trace, t => t.Message.Contains("wait 10m (learned, 1m..15m; no response history for this user yet, so the default)", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_FixedWait_IsTheStepsWait()
    {
        var decision = Decide(Parse(Rule("5m")), Ana(), Note(Now), [Device("phone", Now)], Now);
        Assert.Equal(TimeSpan.FromMinutes(5), decision.Wait);
    }

    [Fact]
    public void Typical_FewerThanMinSamples_Null()
    {
        var times = new ResponseTimes(minSamples: 3);
        times.Observe("app", "ana", TimeSpan.FromSeconds(20));
        times.Observe("app", "ana", TimeSpan.FromSeconds(40));
        Assert.Null(times.Typical("app", "ana"));
        Assert.Null(times.Typical("app", "bob"));
    }

    [Fact]
    public void Typical_EnoughSamples_TheQuantile()
    {
        var times = new ResponseTimes(quantile: 0.8, minSamples: 5);
        foreach (var s in new[] { 50, 10, 40, 20, 30 }) times.Observe("app", "ana", TimeSpan.FromSeconds(s));
        Assert.Equal(TimeSpan.FromSeconds(40), times.Typical("app", "ana")); // 4th of 5 sorted
    }

    [Fact]
    public void Typical_MoreThanTheWindow_ForgetsTheOldest()
    {
        var times = new ResponseTimes(quantile: 1.0, minSamples: 2, window: 3);
        foreach (var s in new[] { 600, 10, 20, 30 }) times.Observe("app", "ana", TimeSpan.FromSeconds(s));
        Assert.Equal(TimeSpan.FromSeconds(30), times.Typical("app", "ana")); // the 600 s is out of the window
    }

    [Fact]
    public void Learn_Outcomes_OnlyResponsesOnTheDeliveredDevice()
    {
        var times = new ResponseTimes(quantile: 1.0, minSamples: 2);
        OutcomeRecord O(OutcomeKind kind, int seconds, string user = "ana") => new(
            new OutcomeStart("d", "n", "app", user, "phone", Now, TimeSpan.FromMinutes(5), default), kind, Now.AddSeconds(seconds));
        times.Learn([O(OutcomeKind.Seen, 30), O(OutcomeKind.Opened, 60), O(OutcomeKind.FollowedUp, 300), O(OutcomeKind.SeenElsewhere, 900),
            O(OutcomeKind.Dismissed, 45, "bob")]);

        Assert.Equal(TimeSpan.FromSeconds(60), times.Typical("app", "ana"));
        Assert.Null(times.Typical("app", "bob"));
    }
}
