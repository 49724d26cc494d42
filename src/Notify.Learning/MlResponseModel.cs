using Microsoft.ML;
using Notify.Engine.Learning;

namespace Notify.Learning;

/// <summary>
/// A trained ML.NET response model as the engine's <see cref="IResponseModel"/>. ML.NET's <c>PredictionEngine</c> is not
/// thread-safe and costly to create, so each thread gets its own engine (and its own input and output rows) once, and
/// reuses them for every score: no per-call creation, no per-call allocation. A tree model (FastTree, LightGbm) is
/// scored straight from its parameters instead (<see cref="TreeScorer"/>), checked against the engine at load.
/// </summary>
public sealed class MlResponseModel : IResponseModel, IDisposable
{
    private readonly ThreadLocal<Scorer> _scorers;
    private readonly TreeScorer? _trees;

    public MlResponseModel(ITransformer model, string description)
    {
        Transformer = model;
        Description = description;
        var ml = new MLContext();
        _scorers = new ThreadLocal<Scorer>(() => new Scorer(ml.Model.CreatePredictionEngine<ResponseExample, ResponsePrediction>(model)));
        _trees = TreeScorer.TryCreate(model, f => ScoreWithEngine(f), out var why);
        FastPathOffBecause = _trees is null ? why : null;
    }

    /// <summary>True when scores come straight from the tree parameters (FastTree, LightGbm), false when through ML.NET's
    /// prediction engine (SDCA, or a layout the fast path does not understand).</summary>
    public bool FastPath => _trees is not null;

    /// <summary>Why the fast path is off, when it is.</summary>
    public string? FastPathOffBecause { get; }

    public ITransformer Transformer { get; }

    public string Description { get; }

    /// <summary>Loads a model file written by <see cref="ResponseTrainer"/>.</summary>
    public static MlResponseModel Load(string path)
    {
        var ml = new MLContext();
        using var stream = File.OpenRead(path);
        var model = ml.Model.Load(stream, out _);
        var trained = ModelCard.TrainedAt(path) is { } t ? $"trained {t.At:yyyy-MM-dd HH:mm}Z, from the {t.From}" : "training date unknown";
        return new MlResponseModel(model, $"{Path.GetFileName(path)} ({trained})");
    }

    public double Score(in ResponseFeatures features) => _trees?.Score(features) ?? ScoreWithEngine(features);

    internal double ScoreWithEngine(in ResponseFeatures features)
    {
        var s = _scorers.Value!;
        s.Input.Set(features);
        s.Engine.Predict(s.Input, ref s.Output);
        return s.Output.Probability;
    }

    public void Dispose() => _scorers.Dispose();

    private sealed class Scorer(PredictionEngine<ResponseExample, ResponsePrediction> engine)
    {
        public readonly PredictionEngine<ResponseExample, ResponsePrediction> Engine = engine;
        public readonly ResponseExample Input = new();
        public ResponsePrediction Output = new();
    }
}
