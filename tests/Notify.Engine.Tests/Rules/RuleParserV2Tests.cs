using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Engine.Tests.Rules;

/// <summary>
/// Loading the rules-v2 constructs (<c>choose</c>, <c>defer</c>, <c>regions</c>, <c>repeat</c>): what a correct file
/// becomes, and for a wrong one, every problem at its line with what to write instead.
/// </summary>
public class RuleParserV2Tests
{
    private static RuleParseResult Parse(string yaml) => RuleParser.Parse(yaml, "r", "r.yaml");

    private static RuleProblem Problem(RuleParseResult result, int line, string text)
    {
        Assert.Null(result.Rule);
        return Assert.Single(result.Problems, p => p.Line == line && p.Message.Contains(text, StringComparison.Ordinal));
    }

    private static string Problems(RuleParseResult result) => string.Join("\n", result.Problems);

    // ---- a correct file -----------------------------------------------------------------------------------------

    [Fact]
    public void Parse_EveryV2Construct_LoadsIntoTheRule()
    {
        const string yaml = """
            name: v2
            match: { category: alert }
            quietHours: silent
            repeat: 2
            regions:
              office: { lat: 38.7223, lon: -9.1393, radius: 200m }
              campus: { lat: 41.1579, lon: -8.6291, radius: 1.5km }
            steps:
              - choose:
                  - when: notification.priority == 'critical'
                    to: all
                    via: push
                  - when: local.hour >= 9 && local.hour < 18
                    to: best
                    where: "'office' in device.regions"
                    via: inApp
                    defer: { until: wifi }
                  - to: best
                    via: push
                    defer: { for: 30m }
                wait: 5m
              - to: best
                via: push
                defer: { until: charging }
                wait: 10m
              - to: attention
                via: inApp
                defer: { until: quietHoursEnd }
                wait: 15m
              - to: best
                via: push
                where: distance(device.location, 38.7223, -9.1393) < 500.0
                defer: { until: device.battery.level > 0.5 }
                wait: 1h
            """;

        var result = Parse(yaml);

        Assert.True(result.Success, Problems(result));
        var rule = result.Rule!;
        Assert.Equal(QuietHoursMode.Silent, rule.QuietHours);
        Assert.Equal(2, rule.Repeat);
        Assert.Equal(new Region(38.7223, -9.1393, 200), rule.Regions["office"]);
        Assert.Equal(1500, rule.Regions["campus"].RadiusMeters);
        Assert.Equal(4, rule.Steps.Length);

        var choose = rule.Steps[0];
        Assert.Equal(TimeSpan.FromMinutes(5), choose.Wait);
        Assert.Equal(3, choose.Alternatives.Length);
        Assert.Equal((StepTarget.All, Channel.Push), (choose.Alternatives[0].To, choose.Alternatives[0].Via));
        Assert.Equal("notification.priority == 'critical'", choose.Alternatives[0].When!.Source);
        Assert.Null(choose.Alternatives[0].Defer);
        Assert.Equal("'office' in device.regions", choose.Alternatives[1].Where!.Source);
        Assert.Equal((DeferKind.Device, "until wifi"), (choose.Alternatives[1].Defer!.Kind, choose.Alternatives[1].Defer!.Text));
        Assert.Null(choose.Alternatives[2].When);
        Assert.Equal(new Deferral(DeferKind.For, TimeSpan.FromMinutes(30), null, "for 30m"), choose.Alternatives[2].Defer);

        Assert.Equal((DeferKind.Device, "until charging"), (rule.Steps[1].Alternatives[0].Defer!.Kind, rule.Steps[1].Alternatives[0].Defer!.Text));
        Assert.NotNull(rule.Steps[1].Alternatives[0].Defer!.Until);
        Assert.Equal(new Deferral(DeferKind.QuietHoursEnd, null, null, "until quiet hours end"), rule.Steps[2].Alternatives[0].Defer);
        Assert.Equal("device.battery.level > 0.5", rule.Steps[3].Alternatives[0].Defer!.Until!.Source);
    }

    [Fact]
    public void Parse_ChooseWhoseAlternativesAllHaveWhen_NeedsNoElse()
    {
        var result = Parse("""
            steps:
              - choose:
                  - when: notification.priority == 'high'
                    to: best
                    via: push
                  - when: notification.priority == 'critical'
                    to: all
                    via: push
            """);

        Assert.True(result.Success, Problems(result));
        Assert.All(result.Rule!.Steps[0].Alternatives, a => Assert.NotNull(a.When));
    }

    [Fact]
    public void Parse_ChooseWithoutWaitBeforeOtherSteps_IsRefusedOnlyWithoutAnyWhen()
    {
        // An else-less choose may fall through to the next step, so it needs no wait; one with an else ends the chain.
        var fallsThrough = Parse("""
            steps:
              - choose:
                  - when: notification.priority == 'critical'
                    to: all
                    via: push
              - to: best
                via: inApp
            """);
        var endsTheChain = Parse("""
            steps:
              - choose:
                  - to: all
                    via: push
              - to: best
                via: inApp
            """);

        Assert.True(fallsThrough.Success, Problems(fallsThrough));
        Problem(endsTheChain, 2, "step 1 has no 'wait'");
    }

    // ---- choose -------------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_ChooseNonLastAlternativeWithoutWhen_IsRefusedAtThatAlternative()
    {
        var result = Parse("""
            steps:
              - choose:
                  - when: notification.priority == 'critical'
                    to: all
                    via: push
                  - to: best
                    via: push
                  - when: notification.priority == 'high'
                    to: best
                    via: inApp
                wait: 5m
            """);

        var problem = Problem(result, 6, "only the last alternative may omit 'when'");
        Assert.Equal("r.yaml", problem.File);
        Assert.Single(result.Problems);
    }

    [Theory]
    [InlineData("to", "best")]
    [InlineData("via", "push")]
    [InlineData("where", "device.online")]
    [InlineData("when", "notification.priority == 'high'")]
    [InlineData("defer", "{ for: 5m }")]
    public void Parse_KeyBesideChoose_IsRefusedAtThatKey(string key, string value)
    {
        var result = Parse($"""
            steps:
              - choose:
                  - to: best
                    via: push
                {key}: {value}
                wait: 5m
            """);

        Problem(result, 5, $"'{key}' goes inside each alternative of 'choose', not beside it");
    }

    [Theory]
    [InlineData("wait: 5m", "unknown key 'wait' in an alternative")]
    [InlineData("delay: 5m", "unknown key 'delay' in an alternative")]
    [InlineData("choose: []", "unknown key 'choose' in an alternative")]
    [InlineData("repeat: 2", "unknown key 'repeat' in an alternative")]
    public void Parse_UnknownKeyInAnAlternative_IsRefusedAtThatKey(string line, string message)
    {
        var result = Parse($"""
            steps:
              - choose:
                  - when: notification.priority == 'high'
                    to: best
                    via: push
                    {line}
                  - to: best
                    via: inApp
            """);

        var problem = Problem(result, 6, message);
        Assert.Contains("it has to, via, where, when, defer", problem.Message);
    }

    [Theory]
    [InlineData("choose: []")]
    [InlineData("choose: { to: best, via: push }")]
    [InlineData("choose: best")]
    public void Parse_ChooseNotAListOfAlternatives_IsRefused(string choose)
    {
        var result = Parse($"steps:\n  - wait: 5m\n    {choose}\n");

        Problem(result, 3, "'choose' is a list of alternatives");
    }

    [Fact]
    public void Parse_AlternativeNotAMapping_IsRefused()
    {
        var result = Parse("steps:\n  - choose:\n      - best\n      - to: best\n        via: push\n");

        Problem(result, 3, "an alternative is a mapping");
    }

    [Fact]
    public void Parse_AlternativeWithoutToOrVia_IsRefusedAtTheAlternative()
    {
        var result = Parse("""
            steps:
              - choose:
                  - when: notification.priority == 'high'
                    via: push
                  - to: best
            """);

        Problem(result, 3, "a step needs 'to'");
        Problem(result, 5, "a step needs 'via'");
    }

    [Fact]
    public void Parse_BadConditionInsideAnAlternative_IsRefusedAtItsLine()
    {
        var result = Parse("""
            steps:
              - choose:
                  - when: notification.priorty == 'high'
                    to: best
                    via: push
                  - to: best
                    where: device.batery.level > 0.5
                    via: inApp
            """);

        Assert.Contains("priorty", Problem(result, 3, "'when'").Message);
        Assert.Contains("batery", Problem(result, 7, "'where'").Message);
    }

    // ---- defer --------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("30m", "'defer' is one of { for: 30m }, { until: quietHoursEnd }")]
    [InlineData("{ }", "'defer' is one of")]
    [InlineData("{ after: 5m }", "'defer' is one of")]
    [InlineData("{ for: 30m, until: wifi }", "'defer' is one of")]
    [InlineData("{ until: [wifi, charging] }", "'defer' is one of")]
    [InlineData("[ for, 30m ]", "'defer' is one of")]
    [InlineData("{ for: soon }", "'defer: for' is 'soon'; expected a duration")]
    [InlineData("{ for: 0s }", "'defer: for' is '0s'")]
    [InlineData("{ for: P1M }", "'defer: for' is 'P1M'")]
    [InlineData("{ until: device.batery.charging }", "'defer: until':")]
    [InlineData("{ until: device.battery.level }", "'defer: until':")]
    [InlineData("{ until: quietHoursStart }", "'defer: until':")]
    public void Parse_BadDefer_IsRefusedAtItsLine(string defer, string message)
    {
        var result = Parse($"steps:\n  - to: best\n    via: push\n    defer: {defer}\n    wait: 5m\n");

        Problem(result, 4, message);
    }

    [Fact]
    public void Parse_DeferUntilAnUnknownWord_SaysWhatIsExpected()
    {
        var result = Parse("steps:\n  - to: best\n    via: push\n    defer: { until: wifii }\n");

        Assert.Contains("{ until: charging }, { until: wifi }", Problem(result, 4, "'defer: until'").Message);
    }

    [Theory]
    [InlineData("charging")]
    [InlineData("wifi")]
    [InlineData("device.online")]
    public void Parse_DeferUntilADeviceForTheUser_IsRefused(string until)
    {
        var result = Parse($"steps:\n  - to: user\n    via: email\n    defer: {{ until: {until} }}\n");

        Problem(result, 4, "needs a device target, not 'to: user'");
    }

    [Theory]
    [InlineData("{ for: 1h }")]
    [InlineData("{ until: quietHoursEnd }")]
    public void Parse_TimeDeferralForTheUser_IsAccepted(string defer)
    {
        var result = Parse($"steps:\n  - to: user\n    via: email\n    defer: {defer}\n");

        Assert.True(result.Success, Problems(result));
    }

    // ---- regions ------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("{ lat: 38.72, lon: -9.14 }", "region 'office' needs a 'radius' such as 200m")]
    [InlineData("{ lat: 38.72, lon: -9.14, radius: 200 }", "needs a 'radius'")]
    [InlineData("{ lat: 38.72, lon: -9.14, radius: -5m }", "needs a 'radius'")]
    [InlineData("{ lat: 38.72, lon: -9.14, radius: 0m }", "needs a 'radius'")]
    [InlineData("{ lat: 38.72, lon: -9.14, radius: 2 miles }", "needs a 'radius'")]
    [InlineData("{ lat: 95, lon: -9.14, radius: 200m }", "region 'office' needs 'lat' from -90 to 90")]
    [InlineData("{ lat: -90.5, lon: -9.14, radius: 200m }", "needs 'lat' from -90 to 90")]
    [InlineData("{ lon: -9.14, radius: 200m }", "needs 'lat' from -90 to 90")]
    [InlineData("{ lat: north, lon: -9.14, radius: 200m }", "needs 'lat' from -90 to 90")]
    [InlineData("{ lat: 38.72, lon: 200, radius: 200m }", "needs 'lon' from -180 to 180")]
    [InlineData("[38.72, -9.14, 200m]", "region 'office' is { lat: 38.72, lon: -9.14, radius: 200m }")]
    [InlineData("here", "region 'office' is")]
    public void Parse_BadRegion_IsRefusedAtItsLine(string region, string message)
    {
        var result = Parse($"name: geo\nregions:\n  office: {region}\nsteps:\n  - to: best\n    via: inApp\n");

        Problem(result, 3, message);
    }

    [Fact]
    public void Parse_RegionMissingEverything_ReportsEachField()
    {
        var result = Parse("regions:\n  office: { }\nsteps:\n  - to: best\n    via: inApp\n");

        Assert.Null(result.Rule);
        Assert.Equal(3, result.Problems.Count(p => p.Line == 2));
    }

    [Theory]
    [InlineData("my office")]
    [InlineData("bureau/2")]
    public void Parse_BadRegionName_IsRefused(string name)
    {
        var result = Parse($"regions:\n  '{name}': {{ lat: 1, lon: 1, radius: 1m }}\nsteps:\n  - to: best\n    via: inApp\n");

        Problem(result, 2, "a region name is letters, digits, '-' or '_'");
    }

    [Fact]
    public void Parse_RegionsNotAMapping_IsRefused()
    {
        var result = Parse("regions: [office]\nsteps:\n  - to: best\n    via: inApp\n");

        Problem(result, 1, "'regions' maps names to circles");
    }

    [Fact]
    public void Parse_WhereNamesAnUndeclaredRegion_IsRefused()
    {
        var result = Parse("""
            regions:
              office: { lat: 38.7223, lon: -9.1393, radius: 200m }
            steps:
              - to: best
                via: push
                where: "'ofice' in device.regions"
            """);

        Assert.Null(result.Rule);
        Assert.Contains(result.Problems, p => p.Line == 6 && p.Message.Contains("ofice"));
    }

    // ---- repeat -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("11")]
    [InlineData("100")]
    [InlineData("-1")]
    [InlineData("2.5")]
    [InlineData("lots")]
    public void Parse_BadRepeat_IsRefusedWithTheCap(string repeat)
    {
        var result = Parse($"name: alarm\nrepeat: {repeat}\nsteps:\n  - to: all\n    via: push\n    wait: 5m\n");

        Problem(result, 2, $"'repeat' is '{repeat}'; expected how many times to repeat the last step, 0 to 10");
    }

    [Fact]
    public void Parse_RepeatWithoutWaitOnTheLastStep_IsRefusedAtRepeat()
    {
        var result = Parse("name: alarm\nrepeat: 3\nsteps:\n  - to: all\n    via: push\n    wait: 5m\n  - to: user\n    via: email\n");

        Problem(result, 2, "'repeat' repeats the last step after its wait: give the last step a 'wait'");
    }

    // ---- all at once --------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_SeveralV2Mistakes_ReportsEveryOneWithItsLine()
    {
        const string broken = """
            repeat: 11
            regions:
              office: { lat: 95, lon: -9.14, radius: 200m }
            steps:
              - to: best
                choose:
                  - to: all
                    via: push
                    wait: 5m
                  - when: notification.priority == 'high'
                    to: best
                    via: inApp
                wait: 5m
              - to: best
                via: push
                defer: { for: later }
            """;

        var result = Parse(broken);

        Assert.Null(result.Rule);
        Assert.Contains(result.Problems, p => p.Line == 1 && p.Message.Contains("'repeat' is '11'"));
        Assert.Contains(result.Problems, p => p.Line == 3 && p.Message.Contains("needs 'lat' from -90 to 90"));
        Assert.Contains(result.Problems, p => p.Line == 5 && p.Message.Contains("'to' goes inside each alternative"));
        Assert.Contains(result.Problems, p => p.Line == 7 && p.Message.Contains("only the last alternative may omit 'when'"));
        Assert.Contains(result.Problems, p => p.Line == 9 && p.Message.Contains("unknown key 'wait' in an alternative"));
        Assert.Contains(result.Problems, p => p.Line == 16 && p.Message.Contains("'defer: for' is 'later'"));
        Assert.All(result.Problems, p => Assert.Equal("r.yaml", p.File));
        Assert.All(result.Problems, p => Assert.True(p.Column >= 1, p.ToString()));
    }
}
