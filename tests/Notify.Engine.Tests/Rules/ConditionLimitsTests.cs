using Notify.Engine.Rules;

namespace Notify.Engine.Tests.Rules;

/// <summary>
/// The bounds on a condition: nesting and size checked before the Cel parser (which recursed until the stack
/// overflowed and the process ended), a step budget per evaluation, and a linear-time <c>matches</c>.
/// </summary>
public class ConditionLimitsTests
{
    private static IDictionary<string, object?> Vars(string title = "t") => ConditionContext.For(
        new Notify.Engine.Model.Notification
        {
            Id = "n", AppId = "a", UserId = "u", Category = "c", Priority = Notify.Engine.Model.Priority.Normal,
            CreatedAt = DateTimeOffset.UnixEpoch, ExpiresAt = DateTimeOffset.UnixEpoch, RuleName = "r", RuleVersion = "v",
            Status = Notify.Engine.Model.NotificationStatus.Scheduled, Title = title,
        },
        new Notify.Engine.Model.User("a", "u", null, "UTC", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), DateTimeOffset.UnixEpoch);

    private static string Nested(int depth) => new string('(', depth) + "true" + new string(')', depth);

    [Fact]
    public void TryCompile_NestingAtTheLimit_Compiles()
    {
        var condition = Condition.TryCompile(Nested(ConditionLimits.MaxNesting), perDevice: false, out var error);
        Assert.True(condition is not null, error);
        Assert.True(condition.Evaluate(Vars(), out _));
    }

    [Theory]
    [InlineData(ConditionLimits.MaxNesting + 1)]
    [InlineData(3000)]
    [InlineData(100_000)]
    public void TryCompile_NestingPastTheLimit_RefusedBeforeParsing(int depth)
    {
        // 3,000 levels overflowed the parser's stack: the whole process ended (the test host with it).
        Assert.Null(Condition.TryCompile(Nested(depth), perDevice: false, out var error));
        Assert.Contains(depth * 2 + 4 > ConditionLimits.MaxLength ? $"at most {ConditionLimits.MaxLength:N0}" : $"at most {ConditionLimits.MaxNesting}", error);
    }

    [Fact]
    public void TryCompile_ConditionalsCountAsNesting()
    {
        var chain = string.Concat(Enumerable.Repeat("true ? true : ", 40)) + "false";
        Assert.Null(Condition.TryCompile(chain, perDevice: false, out var error));
        Assert.Contains("nests", error);
        Assert.NotNull(Condition.TryCompile("true ? (false ? true : false) : true", perDevice: false, out _));
    }

    [Fact]
    public void TryCompile_BracketsInStringsAndComments_AreNotNesting()
    {
        var parens = new string('(', 100);
        Assert.NotNull(Condition.TryCompile($"notification.title != '{parens}' // {parens}\n && true", perDevice: false, out var error));
        Assert.Null(error);
        Assert.NotNull(Condition.TryCompile($"notification.title != \"\"\"{parens}'\"\"\"", perDevice: false, out error));
    }

    [Theory]
    [InlineData("notification.title == 'open")]
    [InlineData("notification.title == 'a\\'")]
    [InlineData("notification.title == \"\"\"open")]
    public void TryCompile_UnclosedString_Refused(string source)
    {
        Assert.Null(Condition.TryCompile(source + new string('(', 100), perDevice: false, out var error));
        Assert.Contains("not closed", error);
    }

    [Fact]
    public void TryCompile_PastTheLength_Refused()
    {
        var atLimit = "true" + string.Concat(Enumerable.Repeat(" || true", (ConditionLimits.MaxLength - 4) / 8));
        Assert.True(atLimit.Length <= ConditionLimits.MaxLength);
        Assert.NotNull(Condition.TryCompile(atLimit, perDevice: false, out var error));
        Assert.Null(Condition.TryCompile(atLimit + new string(' ', ConditionLimits.MaxLength), perDevice: false, out error));
        Assert.Contains($"at most {ConditionLimits.MaxLength:N0}", error);
    }

    /// <summary>The deepest shapes that fit in the length without brackets: chains the parser builds left-nested.</summary>
    [Theory]
    [InlineData("notification.data", ".x", "size({0}) >= 0")]
    [InlineData("1", " + 1", "{0} > 0")]
    [InlineData("1", " * 1", "{0} > 0")]
    [InlineData("true", " && true", "{0}")]
    [InlineData("true", " == true", "{0}")]
    [InlineData("!true", "", "!{0}")]
    [InlineData("-1", "", "{0} < 0")]
    public void TryCompile_LongestChains_CompileAndEvaluateWithoutCrashing(string seed, string step, string wrap)
    {
        var body = seed;
        while (string.Format(wrap, body + step).Length <= ConditionLimits.MaxLength)
            body = step.Length > 0 ? body + step : seed[0] + body;
        var source = string.Format(wrap, body);
        var condition = Condition.TryCompile(source, perDevice: false, out var error);
        if (condition is not null) condition.Evaluate(Vars(), out _);
        else Assert.NotNull(error);
    }

    [Fact]
    public void Evaluate_NestedMacrosPastTheBudget_FalseAndTheErrorSaysWhy()
    {
        var list = "[" + string.Join(",", Enumerable.Range(1, 30)) + "]";
        var source = $"{list}.all(i, {list}.all(j, {list}.all(k, i + j + k > 0)))";   // 27,930 steps
        var condition = Condition.TryCompile(source.Replace("k > 0", "k > 0 || notification.title == 'x'"), perDevice: false, out var compileError);
        // The sample evaluation at compile time runs past the budget too: refused with the reason.
        Assert.True(condition is null, "compiled");
        Assert.True(compileError!.Contains($"{ConditionLimits.MaxSteps:N0} steps", StringComparison.Ordinal), compileError[^300..]);

        var cheap = Condition.TryCompile($"notification.title == 't' || {source}", perDevice: false, out compileError);
        Assert.True(cheap is not null, compileError);
        Assert.False(cheap.Evaluate(Vars("other"), out var error));
        Assert.Contains($"{ConditionLimits.MaxSteps:N0} steps", error);
        Assert.True(cheap.Evaluate(Vars("t"), out error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("[1, 2, 3].all(x, x > 0)", true)]
    [InlineData("[1, 2, 3].exists(x, x > 2)", true)]
    [InlineData("[1, 2, 3].exists_one(x, x > 1)", false)]
    [InlineData("[1, 2, 3].map(x, x * 2) == [2, 4, 6]", true)]
    [InlineData("[1, 2, 3].filter(x, x != 2) == [1, 3]", true)]
    [InlineData("'😀é😀' != '' && ['😀', 'é'].all(s, s != '') && [1].exists(x, x == 1)", true)]
    [InlineData("[[1, 2], [3]].all(l, l.exists(x, x >= 2))", true)]
    public void Evaluate_MacrosWithinTheBudget_KeepTheirMeaning(string source, bool expected)
    {
        var condition = Condition.TryCompile(source, perDevice: false, out var error);
        Assert.True(condition is not null, error);
        var result = condition.Evaluate(Vars(), out error);
        Assert.True(result == expected && error is null, $"{result}: {error}");
    }

    [Fact]
    public void Evaluate_MatchesWithACatastrophicPattern_RunsInLinearTime()
    {
        // With a backtracking engine each extra 'a' doubled the time: 26 characters took 2.6 s, 4,000 would never end.
        var condition = Condition.TryCompile("notification.title.matches('^(a+)+$')", perDevice: false, out var error);
        Assert.True(condition is not null, error);
        Assert.False(condition.Evaluate(Vars(new string('a', 4000) + "b"), out error));
        Assert.Null(error);
        Assert.True(condition.Evaluate(Vars("aaaa"), out _));
    }

    [Fact]
    public void TryCompile_MatchesWithABackreference_RefusedWithTheReason()
    {
        Assert.Null(Condition.TryCompile(@"notification.title.matches('(a)\\1')", perDevice: false, out var error));
        Assert.Contains("backreferences", error);
    }
}
