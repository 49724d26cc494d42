using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Notify.Learning;

/// <summary>Writes <c>models/response.md</c>: what the model was trained on, how it did, and how to retrain it.</summary>
public static class ModelCard
{
    public static string Write(TrainingReport r, string source, DateTimeOffset trainedAt, string retrainCommand)
    {
        var s = new StringBuilder();
        void L(string line = "") => s.Append(line).Append('\n');
        L("# Model card: response model (`models/response.zip`)");
        L();
        L("Predicts, for one candidate device at decision time, the chance that the user responds to the notification there");
        L("(seen, opened or dismissed) within the rule step's `wait` (an hour for a step without one). The engine's `best`");
        L("ranking uses it right after presence, and `attention` uses it to break ties between devices active at the same moment;");
        L("the trace shows it (\"learned response 72%\"). Without this file the ranking is the documented heuristic.");
        L();
        L("## Data");
        L();
        L($"- Source: {source}");
        L($"- Outcomes: {r.Outcomes:N0} recorded, {r.TrainRows + (r.TestUsers == 0 ? 0 : r.TestRows):N0} with a known result, from {r.Users:N0} users" +
          (r.FirstDecided is { } a && r.LastDecided is { } b ? $", decided {a:yyyy-MM-dd} to {b:yyyy-MM-dd}." : "."));
        L($"- Responded within the wait: {r.PositiveRate:P1}.");
        L(r.TestUsers > 0
            ? $"- Split by user: {ResponseTrainer.TestUserPercent}% of users (by a stable hash of the id) held out: {r.TrainRows:N0} training rows, {r.TestRows:N0} test rows from {r.TestUsers} held-out users."
            : "- Too few users to hold any out: the metrics below are on the training rows and say little.");
        L();
        L("## Features");
        L();
        L("Computed by `Notify.Engine.Learning.ResponseFeatures.From` at decision time (the same code for training and scoring):");
        L("platform, presence, online, foreground, seconds since last active (log), battery level, charging, low battery,");
        L("connectivity, metered, local hour (and its position on the clock face), weekend, category, priority, channel, step.");
        L("Categorical values are one-hot encoded; a value never seen in training scores as all zeros.");
        L();
        L("## Trainers (same split)");
        L();
        L("| trainer | AUC (held-out users) | log-loss | training time |");
        L("|---|---|---|---|");
        foreach (var t in r.Results)
            L($"| {t.Trainer}{(t == r.Kept ? " (kept)" : "")} | {F(t.Auc, 4)} | {F(t.LogLoss, 4)} | {F(t.Seconds, 1)} s |");
        L();
        L($"Kept: **{r.Kept.Trainer}**. {r.WhyKept}");
        L();
        L("## Calibration (held-out rows)");
        L();
        L("| predicted | rows | mean predicted | observed |");
        L("|---|---|---|---|");
        foreach (var bin in r.Calibration)
            L($"| {bin.From:0.0}-{bin.To:0.0} | {bin.Count:N0} | {F(bin.MeanPredicted, 3)} | {F(bin.Observed, 3)} |");
        L();
        L("## Trained");
        L();
        L($"{trainedAt:yyyy-MM-dd HH:mm}Z");
        L();
        L("## How to retrain");
        L();
        L("```");
        L(retrainCommand);
        L("```");
        L();
        L("The server reloads `models/response.zip` when the file changes; deleting it returns to the heuristic ranking.");
        return s.ToString();
    }

    /// <summary>
    /// When the model at <paramref name="modelPath"/> was trained: the card's "## Trained" line beside it
    /// (<c>response.md</c>), else the newest entry time inside the zip (ML.NET stamps them as it saves), else null. Never the
    /// file's own timestamp: a checkout, copy or download sets that to the day the file arrived.
    /// </summary>
    /// <returns>The time and where it was read ("model card" or "zip entries").</returns>
    public static (DateTimeOffset At, string From)? TrainedAt(string modelPath)
    {
        var card = Path.ChangeExtension(modelPath, ".md");
        if (File.Exists(card) && ReadTrained(File.ReadAllLines(card)) is { } fromCard) return (fromCard, "model card");
        try
        {
            using var zip = ZipFile.OpenRead(modelPath);
            if (zip.Entries.Count == 0) return null;
            // Zip times carry no zone; the trainer runs in UTC (as the card's time is written), so they are read as UTC.
            var newest = zip.Entries.Max(e => e.LastWriteTime.DateTime);
            return (new DateTimeOffset(DateTime.SpecifyKind(newest, DateTimeKind.Utc)), "zip entries");
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The instant under the card's "## Trained" heading, as <see cref="Write"/> puts it ("2026-11-27 18:51Z").</summary>
    internal static DateTimeOffset? ReadTrained(IReadOnlyList<string> lines)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Trim() != "## Trained") continue;
            for (var j = i + 1; j < lines.Count && !lines[j].StartsWith('#'); j++)
            {
                if (DateTimeOffset.TryParseExact(lines[j].Trim(), "yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
                    return at;
            }
        }
        return null;
    }

    private static string F(double v, int digits) => double.IsNaN(v) ? "n/a" : v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
