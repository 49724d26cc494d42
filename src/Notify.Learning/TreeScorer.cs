using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Notify.Engine.Learning;

namespace Notify.Learning;

/// <summary>
/// Scores a tree-ensemble response model (FastTree or LightGbm, Platt-calibrated) straight from its parameters: the
/// features go into a per-thread array laid out as the pipeline's <c>Features</c> column (one-hot slots found by their
/// slot names), each tree is walked, and the sum goes through the calibrator. No ML.NET pipeline per call, so a score
/// costs about a microsecond instead of the tens a <c>PredictionEngine</c> takes.
/// </summary>
/// <remarks>Built only when the layout and parameters are understood; <see cref="TryCreate"/> then checks it against
/// ML.NET's own predictions on sample rows, and the caller keeps the <c>PredictionEngine</c> path when it returns null.</remarks>
internal sealed class TreeScorer
{
    private static readonly string[] Columns = ResponseExample.Categorical;

    private readonly Dictionary<string, int>[] _oneHot;
    private readonly int[] _numeric;
    private readonly int _width;
    private readonly Tree[] _trees;
    private readonly double _bias;
    private readonly double _slope, _offset;
    private readonly ThreadLocal<(float[] X, ResponseExample Row)> _buffer;

    /// <summary>One tree in flat arrays (the ML.NET properties are interfaces; arrays walk faster).</summary>
    private sealed record Tree(int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] Leaves, double Weight);

    private TreeScorer(Dictionary<string, int> slots, int width, IReadOnlyList<RegressionTreeBase> trees, IReadOnlyList<double> weights, double bias,
        double slope, double offset)
    {
        _oneHot = [.. Columns.Select(c => slots.Where(kv => kv.Key.StartsWith(c + "Hot.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[(c.Length + 4)..], kv => kv.Value, StringComparer.Ordinal))];
        _numeric = [.. ResponseExample.Numeric.Select(n => slots[n])];
        _width = width;
        _trees = [.. trees.Select((t, i) => new Tree([.. t.NumericalSplitFeatureIndexes], [.. t.NumericalSplitThresholds], [.. t.LeftChild],
            [.. t.RightChild], [.. t.LeafValues], weights[i]))];
        _bias = bias;
        _slope = slope;
        _offset = offset;
        _buffer = new ThreadLocal<(float[], ResponseExample)>(() => (new float[_width], new ResponseExample()));
    }

    public static TreeScorer? TryCreate(ITransformer model, Func<ResponseFeatures, double> reference, out string why)
    {
        why = "";
        if (model is not TransformerChain<ITransformer> chain) { why = $"not a chain: {model.GetType().Name}"; return null; }
        var lastTransformer = chain.LastTransformer;
        var modelProperty = lastTransformer.GetType().GetProperty("Model")?.GetValue(lastTransformer);
        if (modelProperty is not CalibratedModelParametersBase calibrated) { why = $"not calibrated: {modelProperty?.GetType().Name ?? lastTransformer.GetType().Name}"; return null; }
        // The generic base hides the non-generic properties of the same name: take whichever holds the right type.
        object?[] Values(string name) => [.. calibrated.GetType().GetProperties().Where(p => p.Name == name).Select(p => p.GetValue(calibrated))];
        var sub = Values("SubModel").OfType<TreeEnsembleModelParametersBasedOnRegressionTree>().FirstOrDefault();
        var platt = Values("Calibrator").OfType<PlattCalibrator>().FirstOrDefault();
        if (sub is null || platt is null) { why = $"not a Platt-calibrated tree ensemble: {calibrated.GetType().Name}"; return null; }
        var ensemble = sub.TrainedTreeEnsemble;
        if (ensemble.Trees.Any(t => t.CategoricalSplitFlags.Any(f => f))) { why = "categorical splits"; return null; }

        var ml = new MLContext();
        var schema = model.GetOutputSchema(ml.Data.LoadFromEnumerable(Array.Empty<ResponseExample>()).Schema);
        var features = schema["Features"];
        if (features.Type is not VectorDataViewType { Size: > 0 } vector) { why = "features not a fixed vector"; return null; }
        var width = vector.Size;
        VBuffer<ReadOnlyMemory<char>> names = default;
        if (!features.HasSlotNames()) { why = "no slot names"; return null; }
        features.GetSlotNames(ref names);
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        var dense = names.DenseValues().ToArray();
        for (var i = 0; i < dense.Length; i++) slots[dense[i].ToString()] = i;
        if (ResponseExample.Numeric.Any(n => !slots.ContainsKey(n))) { why = "slots: " + string.Join(",", slots.Keys.Take(40)); return null; }

        var scorer = new TreeScorer(slots, width, ensemble.Trees, ensemble.TreeWeights, ensemble.Bias, platt.Slope, platt.Offset);
        // Check against ML.NET on varied rows; any disagreement means the layout was misread.
        var rng = new Random(7);
        string[] platforms = ["ios", "android", "desktop", "watch", "web"], presences = ["active", "idle", "away", "unknown"],
            nets = ["wifi", "cellular", "ethernet", "unknown"], categories = ["mention", "comment", "digest"], channels = ["inApp", "push"];
        for (var i = 0; i < 200; i++)
        {
            var f = new ResponseFeatures(platforms[rng.Next(platforms.Length)], presences[rng.Next(presences.Length)], rng.Next(2) == 0, rng.Next(2) == 0,
                rng.Next(3) == 0 ? -1 : rng.NextDouble() * 86_400, rng.Next(3) == 0 ? -1 : rng.NextDouble(), rng.Next(2) == 0, rng.Next(5) == 0,
                nets[rng.Next(nets.Length)], rng.Next(2) == 0, rng.NextDouble() * 24, rng.Next(1, 8), categories[rng.Next(categories.Length)],
                rng.Next(2) == 0 ? "normal" : "high", channels[rng.Next(channels.Length)], rng.Next(4));
            if (Math.Abs(scorer.Score(f) - reference(f)) > 1e-4) { why = $"disagrees: {scorer.Score(f)} vs {reference(f)}"; return null; }
        }
        return scorer;
    }

    public double Score(in ResponseFeatures f)
    {
        var (x, row) = _buffer.Value;
        Array.Clear(x);
        row.Set(f);
        OneHot(x, 0, row.Platform);
        OneHot(x, 1, row.Presence);
        OneHot(x, 2, row.Connectivity);
        OneHot(x, 3, row.Category);
        OneHot(x, 4, row.Priority);
        OneHot(x, 5, row.Channel);
        // The order of ResponseExample.Numeric.
        var n = _numeric;
        x[n[0]] = row.Online;
        x[n[1]] = row.Foreground;
        x[n[2]] = row.LogSecondsSinceActive;
        x[n[3]] = row.BatteryLevel;
        x[n[4]] = row.Charging;
        x[n[5]] = row.LowBattery;
        x[n[6]] = row.Metered;
        x[n[7]] = row.LocalHour;
        x[n[8]] = row.HourSin;
        x[n[9]] = row.HourCos;
        x[n[10]] = row.Weekend;
        x[n[11]] = row.Step;

        var sum = _bias;
        foreach (var tree in _trees) sum += tree.Weight * Leaf(tree, x);
        return 1 / (1 + Math.Exp(_slope * sum + _offset)); // ML.NET's Platt form: the slope is negative
    }

    private void OneHot(float[] x, int column, string value)
    {
        if (_oneHot[column].TryGetValue(value, out var slot)) x[slot] = 1;
    }

    private static double Leaf(Tree tree, float[] x)
    {
        if (tree.Leaves.Length == 1) return tree.Leaves[0];
        var node = 0;
        while (node >= 0) node = x[tree.Feature[node]] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
        return tree.Leaves[~node];
    }
}
