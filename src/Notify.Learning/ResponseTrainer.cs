using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Notify.Engine.Learning;

namespace Notify.Learning;

/// <summary>The trainers compared on the same split.</summary>
public enum TrainerKind { FastTree, LightGbm, Sdca }

/// <summary>How one trainer did on the held-out users.</summary>
public sealed record TrainerResult(TrainerKind Trainer, double Auc, double LogLoss, double Seconds, ITransformer Model);

/// <summary>One bin of the calibration table: the mean predicted chance against the share that responded.</summary>
public sealed record CalibrationBin(double From, double To, int Count, double MeanPredicted, double Observed);

/// <summary>Everything the model card reports.</summary>
public sealed record TrainingReport(int Outcomes, int Users, int TrainRows, int TestRows, int TestUsers, double PositiveRate,
    DateTimeOffset? FirstDecided, DateTimeOffset? LastDecided, IReadOnlyList<TrainerResult> Results, TrainerResult Kept, string WhyKept,
    IReadOnlyList<CalibrationBin> Calibration, DataViewSchema Schema);

/// <summary>
/// Trains the response model: outcomes with a known label, split by user (every outcome of a held-out user is in the
/// test set, so the AUC says how the model does for people it never saw), each trainer fitted on the same training
/// rows and evaluated on the same test rows; the best AUC is kept (within 0.005, the lower log-loss).
/// </summary>
public static class ResponseTrainer
{
    /// <summary>The fewest labelled outcomes of each result (responded, not) training starts with (10): fewer say nothing a
    /// held-out evaluation could measure.</summary>
    public const int MinimumPerResult = 10;

    /// <summary>Share of users held out for evaluation.</summary>
    public const int TestUserPercent = 20;

    public static TrainingReport Train(IReadOnlyList<OutcomeRecord> outcomes, IReadOnlyCollection<TrainerKind> trainers, IProgress<string>? progress = null,
        int seed = 1)
    {
        var labelled = outcomes.Where(o => o.Responded is not null).ToList();
        if (labelled.Count == 0) throw new InvalidOperationException("No outcome has a known result yet: nothing to train on.");
        var responded = labelled.Count(o => o.Responded == true);
        var ignored = labelled.Count - responded;
        if (responded == 0 || ignored == 0)
            throw new InvalidOperationException($"Every outcome has the same result (all responded or none did): a model needs both. " +
                $"It needs at least {MinimumPerResult} labelled outcomes of each: responded ({responded} recorded) and not responded ({ignored} recorded).");
        if (responded < MinimumPerResult || ignored < MinimumPerResult)
            throw new InvalidOperationException($"Too few labelled outcomes: training needs at least {MinimumPerResult} of each result, " +
                $"responded ({responded} recorded) and not responded ({ignored} recorded). Let the server (or the simulator) record more.");
        var rows = labelled.Select(o => ResponseExample.From(o.Start.Features, o.Responded!.Value, o.Start.UserId)).ToList();
        var train = rows.Where(r => !IsTestUser(r.UserId)).ToList();
        var test = rows.Where(r => IsTestUser(r.UserId)).ToList();
        if (test.Count == 0 || train.Count == 0 || test.Select(r => r.Label).Distinct().Count() < 2 || train.Select(r => r.Label).Distinct().Count() < 2)
        {
            // Too few users to hold any out, or a side with one result only (AUC is not defined there): evaluate on every
            // row, and say so in the card through TestUsers = 0.
            progress?.Report($"{rows.Select(r => r.UserId).Distinct().Count()} user(s), too few to hold some out with both results: evaluating on the training rows");
            train = test = rows;
        }
        if (train.Select(r => r.Label).Distinct().Count() < 2)
            throw new InvalidOperationException("Every outcome has the same result (all responded or none did): a model needs both.");
        progress?.Report($"{labelled.Count} labelled outcomes of {outcomes.Count}; training on {train.Count}, testing on {test.Count} " +
                         $"(users held out: {test.Select(r => r.UserId).Distinct().Count()})");

        var ml = new MLContext(seed);
        var trainData = ml.Data.LoadFromEnumerable(train);
        var testData = ml.Data.LoadFromEnumerable(test);
        var results = new List<TrainerResult>();
        foreach (var kind in trainers)
        {
            progress?.Report($"training {kind}...");
            var clock = Stopwatch.StartNew();
            var model = Pipeline(ml, kind).Fit(trainData);
            var seconds = clock.Elapsed.TotalSeconds;
            var metrics = ml.BinaryClassification.Evaluate(model.Transform(testData));
            var result = new TrainerResult(kind, Finite(metrics.AreaUnderRocCurve), Finite(metrics.LogLoss), seconds, model);
            results.Add(result);
            progress?.Report($"{kind}: AUC {result.Auc:F4}, log-loss {result.LogLoss:F4}, {seconds:F1} s");
        }

        var best = results.Max(r => r.Auc);
        var kept = results.Where(r => r.Auc >= best - 0.005).OrderBy(r => r.LogLoss).First();
        var why = results.Count == 1
            ? $"{kept.Trainer} was the only trainer asked for."
            : results.Count(r => r.Auc >= best - 0.005) > 1
                ? $"{kept.Trainer} has the lowest log-loss ({kept.LogLoss:F4}) among the trainers within 0.005 of the best AUC ({best:F4}): its probabilities are the most trustworthy, which matters because the ranking compares them across devices."
                : $"{kept.Trainer} has the best AUC on held-out users ({kept.Auc:F4}; next best {results.Where(r => r != kept).Max(r => r.Auc):F4}).";
        var calibration = Calibrate(ml, kept.Model, testData);
        var decided = labelled.Select(o => o.Start.DecidedAt).ToList();
        return new TrainingReport(outcomes.Count, labelled.Select(o => o.Start.UserId).Distinct().Count(), train.Count, test.Count,
            ReferenceEquals(train, test) ? 0 : test.Select(r => r.UserId).Distinct().Count(), rows.Count(r => r.Label) / (double)rows.Count,
            decided.Min(), decided.Max(), results, kept, why, calibration, trainData.Schema);
    }

    /// <summary>Writes the model atomically (a temporary file renamed over the old one, so a watching server never reads
    /// half a file).</summary>
    public static void Save(TrainingReport report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        new MLContext().Model.Save(report.Kept.Model, report.Schema, temp);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Users are held out by a stable hash of their id, so the split is the same in every run.</summary>
    public static bool IsTestUser(string userId)
    {
        var h = 2166136261u;
        foreach (var c in userId) h = (h ^ c) * 16777619u;
        return h % 100 < TestUserPercent;
    }

    private static IEstimator<ITransformer> Pipeline(MLContext ml, TrainerKind kind)
    {
        var encode = ml.Transforms.Categorical.OneHotEncoding(
            ResponseExample.Categorical.Select(c => new InputOutputColumnPair(c + "Hot", c)).ToArray());
        var features = ml.Transforms.Concatenate("Features", [.. ResponseExample.Categorical.Select(c => c + "Hot"), .. ResponseExample.Numeric]);
        var prepared = encode.Append(features);
        return kind switch
        {
            TrainerKind.FastTree => prepared.Append(ml.BinaryClassification.Trainers.FastTree(
                numberOfLeaves: 31, numberOfTrees: 100, minimumExampleCountPerLeaf: 20, learningRate: 0.1)),
            // Plain numeric splits on the one-hot slots (as FastTree makes), so both tree models score from their parameters.
            TrainerKind.LightGbm => prepared.Append(ml.BinaryClassification.Trainers.LightGbm(new Microsoft.ML.Trainers.LightGbm.LightGbmBinaryTrainer.Options
            {
                NumberOfLeaves = 31, NumberOfIterations = 100, MinimumExampleCountPerLeaf = 20, LearningRate = 0.1, UseCategoricalSplit = false, Seed = 1,
            })),
            _ => prepared.Append(ml.Transforms.NormalizeMinMax("Features"))
                .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(maximumNumberOfIterations: 50)),
        };
    }

    private static List<CalibrationBin> Calibrate(MLContext ml, ITransformer model, IDataView test)
    {
        var scored = model.Transform(test);
        var p = scored.GetColumn<float>("Probability").ToArray();
        var y = scored.GetColumn<bool>("Label").ToArray();
        var bins = new List<CalibrationBin>();
        for (var b = 0; b < 10; b++)
        {
            double from = b / 10.0, to = (b + 1) / 10.0;
            var idx = Enumerable.Range(0, p.Length).Where(i => p[i] >= from && (p[i] < to || (b == 9 && p[i] <= 1))).ToList();
            if (idx.Count == 0) continue;
            bins.Add(new CalibrationBin(from, to, idx.Count, idx.Average(i => p[i]), idx.Count(i => y[i]) / (double)idx.Count));
        }
        return bins;
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : double.NaN;
}
