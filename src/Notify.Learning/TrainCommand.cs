using Notify.Engine.Learning;

namespace Notify.Learning;

/// <summary>The <c>train</c> command: outcomes from the store to <c>response.zip</c> and its model card.</summary>
public static class TrainCommand
{
    public const string Usage = """
        train [--store PATH] [--out models/response.zip] [--trainers fastTree,lightGbm,sdca] [--source TEXT] [--before COMMAND]
          Reads the recorded outcomes, splits them by user, trains and compares the trainers, writes the model
          (the best on held-out users) and its model card (response.md beside it). --source describes the data in
          the card; --before is the command that produced the store (shown in the card's retrain steps).
        """;

    /// <summary>Parses <c>--trainers</c> (comma-separated, case-insensitive); all three by default.</summary>
    public static bool TryParseTrainers(string? text, out List<TrainerKind> trainers)
    {
        trainers = [];
        if (text is null)
        {
            trainers = [TrainerKind.FastTree, TrainerKind.LightGbm, TrainerKind.Sdca];
            return true;
        }
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<TrainerKind>(part, ignoreCase: true, out var kind)) return false;
            trainers.Add(kind);
        }
        return trainers.Count > 0;
    }

    /// <summary>Trains from <paramref name="source"/> and writes <paramref name="modelPath"/> and the card beside it.</summary>
    /// <returns>The report, for callers that print or test it.</returns>
    public static async Task<TrainingReport> RunAsync(IOutcomeSource source, string sourceName, string modelPath, IReadOnlyCollection<TrainerKind> trainers,
        TimeProvider time, TextWriter progress, string retrainCommand, CancellationToken ct = default)
    {
        var report = new Progress(progress);
        report.Report($"reading outcomes from {sourceName}");
        var outcomes = await source.ReadOutcomesAsync(ct);
        var result = await Task.Run(() => ResponseTrainer.Train(outcomes, trainers, report), ct);
        ResponseTrainer.Save(result, modelPath);
        var card = Path.ChangeExtension(modelPath, ".md");
        await File.WriteAllTextAsync(card, ModelCard.Write(result, sourceName, time.GetUtcNow(), retrainCommand), ct);
        report.Report($"kept {result.Kept.Trainer} (AUC {result.Kept.Auc:F4}); wrote {modelPath} and {card}");
        return result;
    }

    /// <summary>Prints progress at once (not through the thread pool as <see cref="Progress{T}"/> would).</summary>
    private sealed class Progress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine($"train: {value}");
    }
}
