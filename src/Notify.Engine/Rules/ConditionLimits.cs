using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using Cel.Internal;

namespace Notify.Engine.Rules;

/// <summary>
/// The bounds that keep one condition from taking the server down: its size and nesting (checked before the Cel
/// parser, which recurses and would overflow the stack), a step budget for every evaluation (the macros
/// <c>all</c>, <c>exists</c>, <c>exists_one</c>, <c>map</c> and <c>filter</c> multiply work when nested), and a
/// linear-time regex engine for <c>matches</c>.
/// </summary>
public static class ConditionLimits
{
    /// <summary>The longest condition, in characters (1,000). Real conditions are a line; the shipped rules' longest is about 100.</summary>
    public const int MaxLength = 1000;

    /// <summary>
    /// How deeply a condition may nest brackets (<c>()</c>, <c>[]</c>, <c>{}</c>) and conditionals (<c>?:</c>) together (32).
    /// The Cel parser recurses once per level; thousands of levels overflow the stack and end the process.
    /// </summary>
    public const int MaxNesting = 32;

    /// <summary>
    /// Steps one evaluation may take (1,000): a step is one pass through the body of a macro
    /// (<c>all</c>, <c>exists</c>, <c>exists_one</c>, <c>map</c>, <c>filter</c>). Past it the condition is false, and the
    /// error says so. A flat condition takes none; one macro over <c>notification.data</c> takes one per entry (4 KiB of
    /// data holds fewer than 1,000). The Cel interpreter spends about 16 µs a step (docs/benchmarks.md), so the budget
    /// bounds one evaluation to tens of milliseconds; 10,000 steps took 160 ms.
    /// </summary>
    public const int MaxSteps = 1_000;

    /// <summary>The longest a <c>matches</c> may run on one string (100 ms): a backstop, the regex engine is linear already.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    internal const string StepFunction = "__notify_step";

    private static readonly HashSet<string> Macros = ["all", "exists", "exists_one", "map", "filter"];

    [ThreadStatic] private static int t_steps;

    /// <summary>What is wrong with the shape of <paramref name="source"/> (too long, too deep, a string left open), or null.</summary>
    public static string? CheckShape(string source)
    {
        if (source.Length > MaxLength)
            return $"the condition is {source.Length:N0} characters; at most {MaxLength:N0} are allowed. Split it, or move the logic into several steps";
        int depth = 0, conditionals = 0, deepest = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            switch (c)
            {
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']' or '}':
                    depth = Math.Max(0, depth - 1);
                    break;
                case '?':
                    conditionals++;
                    break;
                case '/' when i + 1 < source.Length && source[i + 1] == '/':
                    // A comment runs to the end of the line.
                    while (i < source.Length && source[i] != '\n') i++;
                    break;
                case '\'' or '"':
                    if (SkipString(source, i) is not { } end) return "a string literal is not closed; close it with the quote it opens with";
                    i = end;
                    break;
            }
            deepest = Math.Max(deepest, depth + conditionals);
        }
        return deepest > MaxNesting
            ? $"the condition nests {deepest} levels of brackets and '?:'; at most {MaxNesting} are allowed. Flatten it (a || b || c needs no brackets)"
            : null;
    }

    /// <summary>The index of the closing quote of the string literal that opens at <paramref name="start"/>, or null when it is not closed.</summary>
    private static int? SkipString(string source, int start)
    {
        var quote = source[start];
        var raw = start > 0 && source[start - 1] is 'r' or 'R';
        var triple = start + 2 < source.Length && source[start + 1] == quote && source[start + 2] == quote;
        var i = start + (triple ? 3 : 1);
        while (i < source.Length)
        {
            if (source[i] == '\\' && !raw) { i += 2; continue; }
            if (source[i] == quote)
            {
                if (!triple) return i;
                if (i + 2 < source.Length && source[i + 1] == quote && source[i + 2] == quote) return i + 2;
            }
            else if (!triple && source[i] is '\n' or '\r') return null;
            i++;
        }
        return null;
    }

    /// <summary>
    /// The source with every macro body wrapped in the step counter: <c>l.all(x, p)</c> becomes <c>l.all(x, __notify_step(p))</c>,
    /// which returns <c>p</c> unchanged and counts one step.
    /// </summary>
    internal static string Instrument(string source, IParseTree tree)
    {
        var bodies = new List<(int Start, int Stop)>();
        var pending = new Stack<IParseTree>();
        pending.Push(tree);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (node is CelParser.MemberCallContext call && Macros.Contains(call.IDENTIFIER()?.GetText() ?? "") && call.exprList() is { } list)
            {
                var args = list.expr();
                for (var a = 1; a < args.Length; a++)
                    if (args[a].Start is { } first && args[a].Stop is { } last && first.StartIndex >= 0 && last.StopIndex >= first.StartIndex)
                        bodies.Add((first.StartIndex, last.StopIndex));
            }
            for (var c = 0; c < node.ChildCount; c++) pending.Push(node.GetChild(c));
        }
        if (bodies.Count == 0) return source;
        // Insert from the end so earlier offsets stay valid; an opening and a closing insert per body.
        var inserts = bodies.SelectMany(b => new[] { (At: b.Start, Text: StepFunction + "(", Order: 1), (At: b.Stop + 1, Text: ")", Order: 0) })
            .OrderByDescending(x => x.At).ThenBy(x => x.Order);
        var text = new StringBuilder(source);
        foreach (var (at, insert, _) in inserts) text.Insert(at, insert);
        return text.ToString();
    }

    /// <summary>Starts counting the steps of one evaluation on this thread.</summary>
    internal static void BeginEvaluation() => t_steps = 0;

    /// <summary>Counts one step; past <see cref="MaxSteps"/> the evaluation stops with <see cref="ConditionBudgetExceededException"/>.</summary>
    internal static object? Step(object? value)
    {
        if (++t_steps > MaxSteps) throw new ConditionBudgetExceededException();
        return value;
    }

    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary><c>text.matches(pattern)</c> with .NET's non-backtracking engine: time linear in the text, whatever the pattern.</summary>
    internal static bool Matches(string text, string pattern)
    {
        if (!Patterns.TryGetValue(pattern, out var regex))
        {
            try
            {
                regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, RegexTimeout);
            }
            catch (NotSupportedException)
            {
                throw new ArgumentException($"'matches' pattern '{pattern}' uses a construct the linear-time engine lacks " +
                    "(backreferences, lookarounds, atomic groups); CEL patterns are RE2, which has none of them");
            }
            if (Patterns.Count >= 1000) Patterns.Clear();
            Patterns[pattern] = regex;
        }
        return regex.IsMatch(text);
    }
}

/// <summary>A condition's evaluation took more than <see cref="ConditionLimits.MaxSteps"/> steps.</summary>
/// <remarks>A <see cref="Cel.CelNoSuchFieldException"/> because that is the one exception the Cel library's macros pass
/// on at once: they keep iterating past any other, which would spend the budget many times over.</remarks>
public sealed class ConditionBudgetExceededException() : Cel.CelNoSuchFieldException(
    $"stopped after {ConditionLimits.MaxSteps:N0} steps (the evaluation budget; nested all/exists/map/filter multiply steps), so it counts as false");
