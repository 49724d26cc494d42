using System.Text.RegularExpressions;
using Cel;

namespace Notify.Engine.Rules;

/// <summary>
/// A rule condition (<c>when</c>, <c>where</c>) in CEL, the expression language of Kubernetes and Firebase
/// rules. Compiled once when the rule loads and checked against every field the engine provides, so a
/// typo is a load error rather than a condition that is silently false.
/// </summary>
public sealed class Condition
{
    private static readonly CelEnvironment Environment = CreateEnvironment();

    private static CelEnvironment CreateEnvironment()
    {
        var env = new CelEnvironment(null, null) { StrictTypeComparison = false };
        // distance(device.location, lat, lon): metres to a point; very large when the location is unknown.
        env.RegisterFunction("distance", [typeof(object), typeof(double), typeof(double)], args =>
            args[0] is IDictionary<string, object?> l && l.TryGetValue("known", out var known) && known is true
                ? Region.Distance(Convert.ToDouble(l["lat"], System.Globalization.CultureInfo.InvariantCulture),
                    Convert.ToDouble(l["lon"], System.Globalization.CultureInfo.InvariantCulture),
                    Convert.ToDouble(args[1], System.Globalization.CultureInfo.InvariantCulture),
                    Convert.ToDouble(args[2], System.Globalization.CultureInfo.InvariantCulture))
                : double.MaxValue);
        // RE2-style patterns on a linear-time engine: a pattern such as ^(a+)+$ cannot take exponential time.
        env.RegisterFunction("matches", [typeof(string), typeof(string)], args => ConditionLimits.Matches((string)args[0]!, (string)args[1]!));
        // Counts the steps of macro bodies (see ConditionLimits.Instrument); returns its argument unchanged.
        env.RegisterFunction(ConditionLimits.StepFunction, [typeof(object)], args => ConditionLimits.Step(args[0]));
        return env;
    }
    private readonly CelProgramDelegate _program;

    private Condition(string source, CelProgramDelegate program)
    {
        Source = source;
        _program = program;
    }

    public string Source { get; }

    /// <summary>Compiles <paramref name="source"/> and tries it on a sample context.</summary>
    /// <remarks>The size and nesting are checked first (<see cref="ConditionLimits"/>): the parser recurses per level.</remarks>
    /// <param name="perDevice">True for <c>where</c> (sees <c>device</c>), false for <c>when</c>.</param>
    /// <returns>The condition, or null with <paramref name="error"/> saying what is wrong.</returns>
    public static Condition? TryCompile(string source, bool perDevice, out string? error)
    {
        if (ConditionLimits.CheckShape(source) is { } shape)
        {
            error = source.Length > 80 ? shape : $"'{source}': {shape}";
            return null;
        }
        CelProgramDelegate program;
        try
        {
            var tree = Environment.Parse(source);
            program = Environment.Compile(tree);
            var instrumented = ConditionLimits.Instrument(source, tree);
            if (!ReferenceEquals(instrumented, source)) program = Environment.Compile(instrumented);
        }
        catch (Exception e)
        {
            error = $"'{source}' is not a valid CEL expression: {e.Message}";
            return null;
        }
        var condition = new Condition(source, program);
        try
        {
            ConditionLimits.BeginEvaluation();
            var result = program(ConditionContext.Sample(perDevice));
            if (result is not bool)
            {
                error = $"'{source}' must be true or false, but gives {result?.GetType().Name ?? "null"}";
                return null;
            }
        }
        catch (Exception e)
        {
            error = $"'{source}' cannot be evaluated: {Explain(e, perDevice)}";
            return null;
        }
        error = null;
        return condition;
    }

    /// <summary>Evaluates the condition; an evaluation error is false, with the error returned for the trace.</summary>
    /// <remarks>At most <see cref="ConditionLimits.MaxSteps"/> steps: past them the condition is false and the error says why.</remarks>
    public bool Evaluate(IDictionary<string, object?> variables, out string? error)
    {
        try
        {
            error = null;
            ConditionLimits.BeginEvaluation();
            return _program(variables) is true;
        }
        catch (Exception e)
        {
            error = (Limit(e) ?? e).Message;
            return false;
        }
    }

    private static string Explain(Exception e, bool perDevice) => Limit(e) is { } limit ? limit.Message : e.Message.Contains("'device'", StringComparison.Ordinal) && !perDevice
        ? "'device' is only known in a step's 'where' condition; 'when' sees notification, user, now and local"
        : $"{e.Message} Known fields: {ConditionContext.FieldList(perDevice)}";

    /// <summary>The budget or regex refusal inside what the Cel library threw, if that is what stopped it.</summary>
    private static Exception? Limit(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is ConditionBudgetExceededException or RegexMatchTimeoutException || x.Message.StartsWith("'matches' pattern", StringComparison.Ordinal)) return x;
        return null;
    }

    public override string ToString() => Source;
}
