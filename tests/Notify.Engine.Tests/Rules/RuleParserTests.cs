using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Engine.Tests.Rules;

public class RuleParserTests
{
    private const string Minimum = """
        name: mention
        match:
          category: mention
        priority: normal
        ttl: 24h
        quietHours: hold
        steps:
          - to: attention
            via: inApp
            wait: 2m
          - to: best
            where: device.platform in ['ios', 'android']
            via: push
            wait: 15m
          - to: user
            via: email
            when: notification.priority != 'low'
        """;

    [Fact]
    public void Parse_SpecMinimum_LoadsEveryField()
    {
        var result = RuleParser.Parse(Minimum, "file-name", "mention.yaml");

        Assert.Empty(result.Problems);
        var rule = result.Rule!;
        Assert.Equal("mention", rule.Name);
        Assert.Equal(["mention"], rule.Categories.ToArray());
        Assert.Equal(Priority.Normal, rule.Priority);
        Assert.Equal(TimeSpan.FromHours(24), rule.Ttl);
        Assert.Equal(QuietHoursMode.Hold, rule.QuietHours);
        Assert.Equal(3, rule.Steps.Length);
        Assert.Equal((StepTarget.Attention, Channel.InApp, TimeSpan.FromMinutes(2)), (rule.Steps[0].Alternatives[0].To, rule.Steps[0].Alternatives[0].Via, rule.Steps[0].Wait));
        Assert.Equal("device.platform in ['ios', 'android']", rule.Steps[1].Alternatives[0].Where!.Source);
        Assert.Equal((StepTarget.User, Channel.Email), (rule.Steps[2].Alternatives[0].To, rule.Steps[2].Alternatives[0].Via));
        Assert.NotNull(rule.Steps[2].Alternatives[0].When);
    }

    [Fact]
    public void Parse_NoName_TakesTheFileName()
    {
        var result = RuleParser.Parse("steps:\n  - to: best\n    via: inApp\n", "digest");
        Assert.Equal("digest", result.Rule!.Name);
    }

    [Fact]
    public void Parse_SameSourceTwice_SameVersion_EditedSource_NewVersion()
    {
        var a = RuleParser.Parse(Minimum, "x").Rule!;
        var b = RuleParser.Parse(Minimum, "x").Rule!;
        var c = RuleParser.Parse(Minimum.Replace("wait: 2m", "wait: 3m"), "x").Rule!;
        Assert.Equal(a.Version, b.Version);
        Assert.NotEqual(a.Version, c.Version);
    }

    [Fact]
    public void Parse_SeveralMistakes_ReportsEveryOneWithItsLine()
    {
        const string broken = """
            match:
              category: mention
            priority: urgent
            ttl: forever
            steps:
              - to: somebody
                via: inApp
              - to: best
                via: pigeon
                wait: 2x
            """;

        var result = RuleParser.Parse(broken, "broken", "broken.yaml");

        Assert.Null(result.Rule);
        Assert.Contains(result.Problems, p => p.Line == 3 && p.Message.Contains("unknown priority 'urgent'"));
        Assert.Contains(result.Problems, p => p.Line == 4 && p.Message.Contains("'ttl' is 'forever'"));
        Assert.Contains(result.Problems, p => p.Line == 6 && p.Message.Contains("unknown target 'somebody'"));
        Assert.Contains(result.Problems, p => p.Line == 9 && p.Message.Contains("unknown channel 'pigeon'"));
        Assert.Contains(result.Problems, p => p.Line == 10 && p.Message.Contains("'wait' is '2x'"));
        Assert.All(result.Problems, p => Assert.Equal("broken.yaml", p.File));
    }

    [Fact]
    public void Parse_ConditionNamesUnknownField_IsALoadError()
    {
        var result = RuleParser.Parse("steps:\n  - to: best\n    via: inApp\n    where: device.batery.level > 0.2\n", "r", "r.yaml");

        var problem = Assert.Single(result.Problems);
        Assert.Equal(4, problem.Line);
        Assert.Contains("batery", problem.Message);
    }

    [Fact]
    public void Parse_DeviceInWhen_ExplainsWhereDeviceIsKnown()
    {
        var result = RuleParser.Parse("steps:\n  - to: best\n    via: inApp\n    when: device.online\n", "r");
        Assert.Contains(result.Problems, p => p.Message.Contains("only known in a step's 'where'"));
    }

    [Fact]
    public void Parse_InvalidYaml_ReportsPosition()
    {
        var result = RuleParser.Parse("steps:\n  - to: best\n   via: [inApp\n", "r");
        var problem = Assert.Single(result.Problems);
        Assert.Contains("not valid YAML", problem.Message);
        Assert.True(problem.Line >= 2);
    }

    [Fact]
    public void Parse_StepWithoutWaitBeforeOthers_IsRefused()
    {
        var result = RuleParser.Parse("steps:\n  - to: best\n    via: inApp\n  - to: best\n    via: push\n", "r");
        Assert.Contains(result.Problems, p => p.Message.Contains("has no 'wait'"));
    }

    [Fact]
    public void Parse_EmailToDevice_IsRefused()
    {
        var result = RuleParser.Parse("steps:\n  - to: best\n    via: email\n", "r");
        Assert.Contains(result.Problems, p => p.Message.Contains("write 'to: user'"));
    }

    [Fact]
    public void Parse_UnknownKey_IsRefused()
    {
        var result = RuleParser.Parse("steps:\n  - to: best\n    via: inApp\n    delay: 5m\n", "r");
        Assert.Contains(result.Problems, p => p.Line == 4 && p.Message.Contains("unknown key 'delay'"));
    }

    [Fact]
    public void ShippedRules_AllLoadWithoutProblems()
    {
        var dir = FindRepoRules();
        var (rules, problems) = RuleDirectory.Load(dir);
        Assert.Empty(problems);
        Assert.Contains(rules, r => r.Name == RuleSet.DefaultRuleName);
    }

    [Fact]
    public void Load_TwoFilesClaimOneCategory_TheSecondIsRefused()
    {
        var dir = Directory.CreateTempSubdirectory("rules-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.yaml"), "match: { category: mention }\nsteps:\n  - to: best\n    via: inApp\n");
            File.WriteAllText(Path.Combine(dir, "b.yaml"), "match: { categories: [reply, mention] }\nsteps:\n  - to: best\n    via: inApp\n");

            var (rules, problems) = RuleDirectory.Load(dir);

            Assert.Equal("a", Assert.Single(rules).Name);
            Assert.Contains("already served by rule 'a'", Assert.Single(problems).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    internal static string FindRepoRules()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Notify.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "rules");
    }
}
