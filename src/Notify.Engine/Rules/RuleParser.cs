using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Notify.Engine.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Notify.Engine.Rules;

/// <summary>A problem in a rule file, at the place to fix it.</summary>
public sealed record RuleProblem(string? File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File ?? "rule"}:{Line}:{Column}: {Message}";
}

/// <summary>The outcome of parsing a rule: the rule, or every problem found.</summary>
public sealed record RuleParseResult(Rule? Rule, IReadOnlyList<RuleProblem> Problems)
{
    public bool Success => Rule is not null;
}

/// <summary>
/// Reads a rule from YAML (JSON is YAML too) into a compiled <see cref="Rule"/>. It collects every
/// problem with its line and column instead of stopping at the first, so an author fixes a file in one pass.
/// </summary>
public static class RuleParser
{
    private static readonly HashSet<string> TopKeys = ["name", "match", "priority", "ttl", "quietHours", "steps", "description"];
    private static readonly HashSet<string> StepKeys = ["to", "via", "wait", "where", "when"];

    public static RuleParseResult Parse(string source, string? defaultName, string? file = null)
    {
        var problems = new List<RuleProblem>();
        void Problem(Mark at, string message) => problems.Add(new RuleProblem(file, (int)at.Line, (int)at.Column, message));

        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(source));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map)
            {
                problems.Add(new RuleProblem(file, 1, 1, "a rule is a mapping with 'match' and 'steps'"));
                return new RuleParseResult(null, problems);
            }
            root = map;
        }
        catch (YamlException e)
        {
            problems.Add(new RuleProblem(file, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {e.InnerException?.Message ?? e.Message}"));
            return new RuleParseResult(null, problems);
        }

        foreach (var key in root.Children.Keys)
            if (key is YamlScalarNode { Value: { } k } && !TopKeys.Contains(k))
                Problem(key.Start, $"unknown key '{k}'; a rule has {string.Join(", ", TopKeys)}");

        var name = Scalar(root, "name") is { } nameNode ? nameNode.Value : defaultName;
        if (string.IsNullOrWhiteSpace(name) || !IsValidName(name))
            Problem(root.Start, $"'name' must be letters, digits, '-' or '_' (got '{name}')");

        var categories = ImmutableArray<string>.Empty;
        if (Get(root, "match") is { } matchNode)
        {
            if (matchNode is not YamlMappingNode match)
                Problem(matchNode.Start, "'match' is a mapping: { category: mention } or { categories: [mention, reply] }");
            else
            {
                foreach (var key in match.Children.Keys)
                    if (key is YamlScalarNode { Value: { } k } && k is not ("category" or "categories"))
                        Problem(key.Start, $"unknown key '{k}' in 'match'; use 'category' or 'categories'");
                var list = new List<string>();
                if (Scalar(match, "category") is { } one) list.Add(one.Value!);
                if (Get(match, "categories") is { } many)
                {
                    if (many is YamlSequenceNode seq)
                        list.AddRange(seq.Children.OfType<YamlScalarNode>().Select(s => s.Value!));
                    else Problem(many.Start, "'categories' is a list, e.g. [mention, reply]");
                }
                if (list.Count == 0) Problem(match.Start, "'match' names no category");
                categories = [.. list];
            }
        }

        Priority? priority = null;
        if (Scalar(root, "priority") is { } pNode)
        {
            if (Names.TryParse<Priority>(pNode.Value, out var p)) priority = p;
            else Problem(pNode.Start, $"unknown priority '{pNode.Value}'; expected one of {Names.List<Priority>()}");
        }

        TimeSpan? ttl = null;
        if (Scalar(root, "ttl") is { } tNode)
        {
            if (Durations.TryParse(tNode.Value, out var t) && t > TimeSpan.Zero) ttl = t;
            else Problem(tNode.Start, $"'ttl' is '{tNode.Value}'; expected {Durations.Expected}");
        }

        var quiet = QuietHoursMode.Hold;
        if (Scalar(root, "quietHours") is { } qNode && !Names.TryParse(qNode.Value, out quiet))
            Problem(qNode.Start, $"unknown quietHours '{qNode.Value}'; expected one of {Names.List<QuietHoursMode>()}");

        var steps = ImmutableArray.CreateBuilder<RuleStep>();
        var stepsNode = Get(root, "steps");
        if (stepsNode is not YamlSequenceNode stepSeq || stepSeq.Children.Count == 0)
            Problem(stepsNode?.Start ?? root.Start, "'steps' is a non-empty list of steps, each with 'to' and 'via'");
        else
        {
            foreach (var node in stepSeq.Children)
            {
                if (node is not YamlMappingNode stepMap)
                {
                    Problem(node.Start, "a step is a mapping such as { to: attention, via: inApp, wait: 2m }");
                    continue;
                }
                if (ParseStep(stepMap, steps.Count, Problem) is { } step) steps.Add(step);
            }
            for (var i = 0; i < steps.Count - 1; i++)
                if (steps[i].Wait is null && steps[i].When is null)
                    Problem(stepSeq.Children[i].Start, $"step {i + 1} has no 'wait', so the steps after it would never run; give it a wait such as 5m");
        }

        if (problems.Count > 0) return new RuleParseResult(null, problems);
        var rule = new Rule(name!, VersionOf(source), categories, priority, ttl, quiet, steps.ToImmutable(), source, file);
        return new RuleParseResult(rule, problems);
    }

    private static RuleStep? ParseStep(YamlMappingNode map, int index, Action<Mark, string> problem)
    {
        var ok = true;
        foreach (var key in map.Children.Keys)
            if (key is YamlScalarNode { Value: { } k } && !StepKeys.Contains(k))
            {
                problem(key.Start, $"unknown key '{k}' in a step; a step has {string.Join(", ", StepKeys)}");
                ok = false;
            }

        var to = StepTarget.Best;
        if (Scalar(map, "to") is not { } toNode) { problem(map.Start, $"a step needs 'to': one of {Names.List<StepTarget>()}"); ok = false; }
        else if (!Names.TryParse(toNode.Value, out to)) { problem(toNode.Start, $"unknown target '{toNode.Value}'; expected one of {Names.List<StepTarget>()}"); ok = false; }

        var via = Channel.InApp;
        if (Scalar(map, "via") is not { } viaNode) { problem(map.Start, $"a step needs 'via': one of {Names.List<Channel>()}"); ok = false; }
        else if (!Names.TryParse(viaNode.Value, out via)) { problem(viaNode.Start, $"unknown channel '{viaNode.Value}'; expected one of {Names.List<Channel>()}"); ok = false; }

        if (ok && to == StepTarget.User && via != Channel.Email) { problem(map.Start, "'to: user' reaches the person, not a device, so it needs 'via: email'"); ok = false; }
        if (ok && to != StepTarget.User && via == Channel.Email) { problem(map.Start, "'via: email' goes to the person: write 'to: user'"); ok = false; }

        TimeSpan? wait = null;
        if (Scalar(map, "wait") is { } waitNode)
        {
            if (Durations.TryParse(waitNode.Value, out var w) && w > TimeSpan.Zero) wait = w;
            else { problem(waitNode.Start, $"'wait' is '{waitNode.Value}'; expected {Durations.Expected}"); ok = false; }
        }

        Condition? Compile(string key, bool perDevice)
        {
            if (Scalar(map, key) is not { } node) return null;
            var c = Condition.TryCompile(node.Value ?? "", perDevice, out var error);
            if (c is null) { problem(node.Start, $"'{key}': {error}"); ok = false; }
            return c;
        }
        var where = Compile("where", perDevice: true);
        var when = Compile("when", perDevice: false);
        if (where is not null && to == StepTarget.User) { problem(map.Start, "'where' selects devices; 'to: user' has none"); ok = false; }

        return ok ? new RuleStep(index, to, via, wait, where, when) : null;
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static YamlScalarNode? Scalar(YamlMappingNode map, string key) => Get(map, key) as YamlScalarNode;

    internal static bool IsValidName(string name) =>
        name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string VersionOf(string source) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..12];
}
