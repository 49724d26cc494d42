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
public static partial class RuleParser
{
    [System.Text.RegularExpressions.GeneratedRegex(@"['""]([A-Za-z0-9_-]+)['""]\s+in\s+(?:device|user)\.regions")]
    private static partial System.Text.RegularExpressions.Regex RegionReference();

    private static readonly HashSet<string> TopKeys = ["name", "match", "priority", "ttl", "quietHours", "steps", "description", "repeat", "regions", "skipBelow"];
    private static readonly HashSet<string> StepKeys = ["to", "via", "wait", "where", "when", "defer", "choose", "skipBelow"];
    private static readonly HashSet<string> AlternativeKeys = ["to", "via", "where", "when", "defer"];

    /// <summary>Parses one rule. Never throws: whatever goes wrong is a problem of this rule alone, so one bad file
    /// cannot stop the others (or the server's start) from loading.</summary>
    public static RuleParseResult Parse(string source, string? defaultName, string? file = null)
    {
        try
        {
            return ParseRule(source, defaultName, file);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new RuleParseResult(null, [new RuleProblem(file, 1, 1, $"the rule could not be read ({e.GetType().Name}: {e.Message}); fix or remove it")]);
        }
    }

    /// <summary>The largest rule source, in characters (256 Ki): real rules are a few hundred.</summary>
    public const int MaxSourceLength = 256 * 1024;

    /// <summary>How deeply a rule may nest YAML flow collections (<c>[</c>, <c>{</c>), 64: the YAML parser recurses per
    /// level, and tens of thousands of levels overflow the stack and end the process.</summary>
    public const int MaxFlowNesting = 64;

    private static RuleParseResult ParseRule(string source, string? defaultName, string? file)
    {
        var problems = new List<RuleProblem>();
        void Problem(Mark at, string message) => problems.Add(new RuleProblem(file, (int)at.Line, (int)at.Column, message));
        if (ShapeProblem(source, file) is { } shape) return new RuleParseResult(null, [shape]);

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
                // The same names notify accepts: a category no notify call can send would never match.
                foreach (var node in match.AllNodes.OfType<YamlScalarNode>().Where(n => n.Value is not ("category" or "categories")))
                    if (!Identifiers.IsCategory(node.Value))
                        Problem(node.Start, $"'{node.Value}' is not a category: use {Identifiers.CategoryExpected}, as notify calls send");
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

        var repeat = 0;
        if (Scalar(root, "repeat") is { } rNode && !(int.TryParse(rNode.Value, out repeat) && repeat is >= 0 and <= Rule.MaxRepeat))
            Problem(rNode.Start, $"'repeat' is '{rNode.Value}'; expected how many times to repeat the last step, 0 to {Rule.MaxRepeat}");

        var skipBelow = Scalar(root, "skipBelow") is { } sNode ? ParseSkipBelow(sNode, Problem) : null;

        var regions = ImmutableDictionary.CreateBuilder<string, Region>(StringComparer.Ordinal);
        if (Get(root, "regions") is { } regionsNode)
        {
            if (regionsNode is not YamlMappingNode regionMap)
                Problem(regionsNode.Start, "'regions' maps names to circles: { office: { lat: 38.72, lon: -9.14, radius: 200m } }");
            else
                foreach (var (key, value) in regionMap.Children)
                    if (ParseRegion(key, value, Problem) is { } region) regions[((YamlScalarNode)key).Value!] = region;
        }
        var regionNames = regions.Keys.ToHashSet();

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
                else steps.Add(new RuleStep(steps.Count, [], null));
            }
            for (var i = 0; i < steps.Count - 1; i++)
                if (steps[i].Wait is null && steps[i].Alternatives.All(a => a.When is null) && steps[i].Alternatives.Length > 0)
                    Problem(stepSeq.Children[i].Start, $"step {i + 1} has no 'wait', so the steps after it would never run; give it a wait such as 5m");
        }

        // A region a condition names but the rule does not declare would make the condition false for every device.
        foreach (var node in stepsNode is YamlSequenceNode all ? all.AllNodes.OfType<YamlScalarNode>() : [])
            foreach (System.Text.RegularExpressions.Match m in RegionReference().Matches(node.Value ?? ""))
                if (!regionNames.Contains(m.Groups[1].Value))
                    Problem(node.Start, $"the region '{m.Groups[1].Value}' is not declared; add it under 'regions:' (declared: {(regionNames.Count == 0 ? "none" : string.Join(", ", regionNames))})");
        if (repeat > 0 && steps.Count > 0 && steps[^1].Wait is null)
            Problem(Get(root, "repeat")!.Start, "'repeat' repeats the last step after its wait: give the last step a 'wait'");
        if (problems.Count > 0) return new RuleParseResult(null, problems);
        var rule = new Rule(name!, VersionOf(source), categories, priority, ttl, quiet, steps.ToImmutable(), source, file)
        {
            Repeat = repeat,
            Regions = regions.ToImmutable(),
            SkipBelow = skipBelow,
        };
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

        TimeSpan? wait = null;
        LearnedWait? learned = null;
        if (Get(map, "wait") is YamlScalarNode waitNode)
        {
            if (Durations.TryParse(waitNode.Value, out var w) && w > TimeSpan.Zero) wait = w;
            else if (waitNode.Value?.Trim() == "learned")
            { problem(waitNode.Start, $"a learned wait needs its bounds: {LearnedWaitExpected}"); ok = false; }
            else { problem(waitNode.Start, $"'wait' is '{waitNode.Value}'; expected {Durations.Expected}, or {LearnedWaitExpected}"); ok = false; }
        }
        else if (Get(map, "wait") is YamlMappingNode learnedNode)
        {
            learned = ParseLearnedWait(learnedNode, problem);
            if (learned is null) ok = false;
            else wait = learned.Max;
        }
        else if (Get(map, "wait") is { } other) { problem(other.Start, $"'wait' is a duration such as 5m, or {LearnedWaitExpected}"); ok = false; }

        double? skipBelow = null;
        if (Scalar(map, "skipBelow") is { } skipNode && (skipBelow = ParseSkipBelow(skipNode, problem)) is null) ok = false;

        var alternatives = ImmutableArray.CreateBuilder<StepAlternative>();
        if (Get(map, "choose") is { } chooseNode)
        {
            foreach (var key in new[] { "to", "via", "where", "when", "defer" })
                if (Get(map, key) is { } stray) { problem(stray.Start, $"'{key}' goes inside each alternative of 'choose', not beside it"); ok = false; }
            if (chooseNode is not YamlSequenceNode { Children.Count: > 0 } choices)
            {
                problem(chooseNode.Start, "'choose' is a list of alternatives, each like { when: …, to: best, via: push }; the first whose 'when' holds is taken");
                return null;
            }
            for (var i = 0; i < choices.Children.Count; i++)
            {
                if (choices.Children[i] is not YamlMappingNode alt) { problem(choices.Children[i].Start, "an alternative is a mapping such as { when: …, to: best, via: push }"); ok = false; continue; }
                foreach (var key in alt.Children.Keys)
                    if (key is YamlScalarNode { Value: { } k } && !AlternativeKeys.Contains(k))
                    { problem(key.Start, $"unknown key '{k}' in an alternative; it has {string.Join(", ", AlternativeKeys)}"); ok = false; }
                if (i < choices.Children.Count - 1 && Get(alt, "when") is null)
                { problem(alt.Start, "only the last alternative may omit 'when' (it is the 'else'); the ones after it could never be taken"); ok = false; }
                if (ParseAlternative(alt, problem) is { } parsed) alternatives.Add(parsed); else ok = false;
            }
        }
        else if (ParseAlternative(map, problem) is { } single) alternatives.Add(single);
        else ok = false;

        return ok ? new RuleStep(index, alternatives.ToImmutable(), wait) { Learned = learned, SkipBelow = skipBelow } : null;
    }

    private static StepAlternative? ParseAlternative(YamlMappingNode map, Action<Mark, string> problem)
    {
        var ok = true;
        var to = StepTarget.Best;
        if (Scalar(map, "to") is not { } toNode) { problem(map.Start, $"a step needs 'to': one of {Names.List<StepTarget>()}"); ok = false; }
        else if (!Names.TryParse(toNode.Value, out to)) { problem(toNode.Start, $"unknown target '{toNode.Value}'; expected one of {Names.List<StepTarget>()}"); ok = false; }

        var via = Channel.InApp;
        if (Scalar(map, "via") is not { } viaNode) { problem(map.Start, $"a step needs 'via': one of {Names.List<Channel>()}"); ok = false; }
        else if (!Names.TryParse(viaNode.Value, out via)) { problem(viaNode.Start, $"unknown channel '{viaNode.Value}'; expected one of {Names.List<Channel>()}"); ok = false; }

        if (ok && to == StepTarget.User && via != Channel.Email) { problem(map.Start, "'to: user' reaches the person, not a device, so it needs 'via: email'"); ok = false; }
        if (ok && to != StepTarget.User && via == Channel.Email) { problem(map.Start, "'via: email' goes to the person: write 'to: user'"); ok = false; }

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

        Deferral? defer = null;
        if (Get(map, "defer") is { } deferNode)
        {
            defer = ParseDeferral(deferNode, problem);
            if (defer is null) ok = false;
            else if (defer.Kind == DeferKind.Device && to == StepTarget.User) { problem(deferNode.Start, "deferring until a device is ready needs a device target, not 'to: user'"); ok = false; }
        }
        return ok ? new StepAlternative(to, via, where, when, defer) : null;
    }

    private const string DeferExpected = "{ for: 30m }, { until: quietHoursEnd }, { until: charging }, { until: wifi }, or { until: <a CEL condition on device> }";

    private static Deferral? ParseDeferral(YamlNode node, Action<Mark, string> problem)
    {
        if (node is not YamlMappingNode map || map.Children.Count != 1 || map.Children.Keys.Single() is not YamlScalarNode { Value: "for" or "until" } key
            || map.Children.Values.Single() is not YamlScalarNode { Value: { } value })
        {
            problem(node.Start, $"'defer' is one of {DeferExpected}");
            return null;
        }
        if (key.Value == "for")
        {
            if (Durations.TryParse(value, out var d) && d > TimeSpan.Zero) return new Deferral(DeferKind.For, d, null, $"for {Durations.Format(d)}");
            problem(map.Children.Values.Single().Start, $"'defer: for' is '{value}'; expected {Durations.Expected}");
            return null;
        }
        var source = value switch
        {
            "quietHoursEnd" => null,
            "charging" => "device.battery.charging",
            "wifi" => "device.connectivity.type == 'wifi' || device.connectivity.type == 'ethernet'",
            _ => value,
        };
        if (source is null) return new Deferral(DeferKind.QuietHoursEnd, null, null, "until quiet hours end");
        var condition = Condition.TryCompile(source, perDevice: true, out var error);
        if (condition is null)
        {
            problem(map.Children.Values.Single().Start, $"'defer: until': {error}; expected {DeferExpected}");
            return null;
        }
        return new Deferral(DeferKind.Device, null, condition, $"until {value}");
    }

    private static Region? ParseRegion(YamlNode key, YamlNode value, Action<Mark, string> problem)
    {
        const string Expected = "{ lat: 38.72, lon: -9.14, radius: 200m } (radius in m or km)";
        if (key is not YamlScalarNode { Value: { } name } || !IsValidName(name)) { problem(key.Start, "a region name is letters, digits, '-' or '_'"); return null; }
        if (value is not YamlMappingNode map) { problem(value.Start, $"region '{name}' is {Expected}"); return null; }
        double Number(string field, double min, double max)
        {
            if (Scalar(map, field) is { } n && double.TryParse(n.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
            problem(map.Start, $"region '{name}' needs '{field}' from {min} to {max}; it is {Expected}");
            return double.NaN;
        }
        var lat = Number("lat", -90, 90);
        var lon = Number("lon", -180, 180);
        var radiusText = Scalar(map, "radius")?.Value ?? "";
        double radius = double.NaN;
        if (radiusText.EndsWith("km", StringComparison.Ordinal) && double.TryParse(radiusText[..^2], System.Globalization.CultureInfo.InvariantCulture, out var km)) radius = km * 1000;
        else if (radiusText.EndsWith('m') && double.TryParse(radiusText[..^1], System.Globalization.CultureInfo.InvariantCulture, out var m)) radius = m;
        if (!(radius > 0)) problem(map.Start, $"region '{name}' needs a 'radius' such as 200m or 1.5km; it is {Expected}");
        return double.IsNaN(lat) || double.IsNaN(lon) || !(radius > 0) ? null : new Region(lat, lon, radius);
    }

    private const string SkipBelowExpected = "a learned response chance below which the step is passed over, such as 20% or 0.2 (more than 0, less than 1)";

    private static double? ParseSkipBelow(YamlScalarNode node, Action<Mark, string> problem)
    {
        var text = node.Value?.Trim() ?? "";
        var percent = text.EndsWith('%');
        if (double.TryParse(percent ? text[..^1] : text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var v)
            && (percent ? v / 100 : v) is > 0 and < 1 and var fraction)
            return fraction;
        problem(node.Start, $"'skipBelow' is '{node.Value}'; expected {SkipBelowExpected}");
        return null;
    }

    private const string LearnedWaitExpected = "{ learned: true, min: 1m, max: 15m } (optionally default: the wait without history, else max)";

    private static LearnedWait? ParseLearnedWait(YamlMappingNode map, Action<Mark, string> problem)
    {
        var ok = true;
        foreach (var key in map.Children.Keys)
            if (key is YamlScalarNode { Value: { } k } && k is not ("learned" or "min" or "max" or "default"))
            { problem(key.Start, $"unknown key '{k}' in a learned wait; expected {LearnedWaitExpected}"); ok = false; }
        if (Scalar(map, "learned") is not { Value: "true" })
        {
            problem(map.Start, $"a 'wait' mapping is a learned wait: {LearnedWaitExpected}; for a fixed wait write a duration such as 5m");
            return null;
        }
        TimeSpan? Bound(string key, bool required)
        {
            if (Get(map, key) is not { } node)
            {
                if (required) { problem(map.Start, $"a learned wait needs '{key}'; expected {LearnedWaitExpected}"); ok = false; }
                return null;
            }
            if (node is YamlScalarNode scalar && Durations.TryParse(scalar.Value, out var d) && d > TimeSpan.Zero) return d;
            problem(node.Start, $"'{key}' of a learned wait is '{(node as YamlScalarNode)?.Value}'; expected {Durations.Expected}, more than zero");
            ok = false;
            return null;
        }
        var min = Bound("min", true);
        var max = Bound("max", true);
        var fallback = Bound("default", false);
        if (min is { } lo && max is { } hi)
        {
            if (lo > hi) { problem(map.Start, $"a learned wait's min ({Durations.Format(lo)}) is more than its max ({Durations.Format(hi)})"); ok = false; }
            if (fallback is { } f && (f < lo || f > hi))
            { problem(Get(map, "default")!.Start, $"a learned wait's default ({Durations.Format(f)}) is outside {Durations.Format(lo)}..{Durations.Format(hi)}"); ok = false; }
        }
        return ok ? new LearnedWait(min!.Value, max!.Value, fallback ?? max!.Value) : null;
    }

    /// <summary>Too long, or nested too deeply for the YAML parser, counted before it runs. Brackets inside quoted
    /// text count too: a false refusal needs 64 unclosed brackets in a string, a missed one would end the process.</summary>
    private static RuleProblem? ShapeProblem(string source, string? file)
    {
        if (source.Length > MaxSourceLength)
            return new RuleProblem(file, 1, 1, $"the rule is {source.Length:N0} characters; at most {MaxSourceLength:N0} are allowed");
        int depth = 0, line = 1, column = 0;
        foreach (var c in source)
        {
            column++;
            if (c == '\n') { line++; column = 0; }
            else if (c is '[' or '{' && ++depth > MaxFlowNesting)
                return new RuleProblem(file, line, column, $"brackets ('[', '{{') nest more than {MaxFlowNesting} levels deep; a rule needs a few");
            else if (c is ']' or '}') depth = Math.Max(0, depth - 1);
        }
        return null;
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static YamlScalarNode? Scalar(YamlMappingNode map, string key) => Get(map, key) as YamlScalarNode;

    internal static bool IsValidName(string name) =>
        name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string VersionOf(string source) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..12];
}
