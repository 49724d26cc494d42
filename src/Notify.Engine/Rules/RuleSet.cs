using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Notify.Engine.Rules;

/// <summary>
/// The live rules. Swapped atomically when the rules change; every version ever loaded stays reachable
/// by <see cref="Rule.Version"/>, because a notification follows the version it started with.
/// </summary>
public sealed class RuleSet
{
    /// <summary>The rule that serves categories no other rule matches.</summary>
    public const string DefaultRuleName = "default";

    private volatile Snapshot _snapshot = new(ImmutableDictionary<string, Rule>.Empty, ImmutableDictionary<string, Rule>.Empty, []);
    private readonly ConcurrentDictionary<string, Rule> _versions = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, Rule> Rules => _snapshot.ByName;

    public IReadOnlyList<RuleProblem> Problems => _snapshot.Problems;

    /// <summary>Replaces the live rules.</summary>
    public void Replace(IEnumerable<Rule> rules, IReadOnlyList<RuleProblem> problems)
    {
        var byName = rules.ToImmutableDictionary(r => r.Name, StringComparer.Ordinal);
        var byCategory = ImmutableDictionary.CreateBuilder<string, Rule>(StringComparer.Ordinal);
        foreach (var rule in byName.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
            foreach (var category in rule.Categories)
                byCategory.TryAdd(category, rule);
        foreach (var rule in byName.Values) _versions.TryAdd(rule.Version, rule);
        _snapshot = new Snapshot(byName, byCategory.ToImmutable(), problems);
    }

    /// <summary>The rule for a category: the one that matches it, else <c>default</c>.</summary>
    public Rule? Match(string category)
    {
        var s = _snapshot;
        return s.ByCategory.TryGetValue(category, out var rule) ? rule : s.ByName.GetValueOrDefault(DefaultRuleName);
    }

    /// <summary>A rule version this process has loaded, for follow-ups of older notifications.</summary>
    public Rule? FindVersion(string version) => _versions.GetValueOrDefault(version);

    /// <summary>Makes an older version (read back from the store) reachable again.</summary>
    public void Remember(Rule rule) => _versions.TryAdd(rule.Version, rule);

    private sealed record Snapshot(ImmutableDictionary<string, Rule> ByName, ImmutableDictionary<string, Rule> ByCategory,
        IReadOnlyList<RuleProblem> Problems);
}
