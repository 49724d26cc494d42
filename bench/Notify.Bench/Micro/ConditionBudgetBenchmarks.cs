using BenchmarkDotNet.Attributes;
using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Bench.Micro;

/// <summary>
/// What the bounds on a condition cost and guarantee (docs/operations.md, Limits). Baseline: a flat condition, as the
/// shipped rules have. Cases: a macro over a 100-element list (100 counted steps); nested macros that run into the
/// step budget (ConditionLimits.MaxSteps: the longest any condition may run, then false); and <c>matches('^(a+)+$')</c> on a 4,000-character
/// body, which took exponential time on a backtracking engine (2.6 s at 26 characters) and is linear now.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ConditionBudgetBenchmarks
{
    private static readonly string List = "[" + string.Join(",", Enumerable.Range(1, 100)) + "]";

    private Condition _flat = null!;
    private Condition _macro = null!;
    private Condition _budget = null!;
    private Condition _regex = null!;
    private IDictionary<string, object?> _vars = null!;

    [GlobalSetup]
    public void Setup()
    {
        static Condition Compile(string source) => Condition.TryCompile(source, perDevice: false, out var error) ?? throw new InvalidOperationException(error);
        _flat = Compile("notification.priority != 'low' && notification.title != 'x'");
        _macro = Compile($"{List}.all(i, i > 0)");
        // The sample context's title is 't': the budget is only met on a real notification.
        _budget = Compile($"notification.title == 't' || {List}.all(i, {List}.all(j, {List}.all(k, i + j + k > 0)))");
        _regex = Compile("notification.title == 't' || notification.body.matches('^(a+)+$')");
        var at = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var n = new Notification
        {
            Id = "ntf", AppId = "app", UserId = "ana", Category = "mention", Priority = Priority.Normal, CreatedAt = at, ExpiresAt = at.AddDays(1),
            RuleName = "r", RuleVersion = "v", Status = NotificationStatus.Scheduled, Title = "hello", Body = new string('a', 4000) + "b",
        };
        _vars = ConditionContext.For(n, new User("app", "ana", null, "UTC", null, at, at), at);
        if (_budget.Evaluate(_vars, out var error) || error is null) throw new InvalidOperationException("the budget case should run out of steps");
    }

    [Benchmark(Baseline = true)]
    public bool Flat() => _flat.Evaluate(_vars, out _);

    [Benchmark]
    public bool MacroOver100() => _macro.Evaluate(_vars, out _);

    [Benchmark]
    public bool NestedMacrosStoppedByTheBudget() => _budget.Evaluate(_vars, out _);

    [Benchmark]
    public bool MatchesCatastrophicPatternOn4000Chars() => _regex.Evaluate(_vars, out _);
}
