using ScottPlot;

namespace Notify.Bench.Simulation;

/// <summary>One picture of the trade-off: interruptions per event against the median and p90 time until seen.</summary>
internal static class SimulationChart
{
    public static void Write(IReadOnlyList<(PolicyKind Policy, PolicyTally Tally)> results, string path, string subtitle)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < results.Count; i++)
        {
            var (policy, tally) = results[i];
            var sorted = tally.TimeToSeen.Order().ToList();
            var x = tally.Interruptions / (double)tally.Events;
            var median = SimulateCommand.Percentile(sorted, 0.5);
            var p90 = SimulateCommand.Percentile(sorted, 0.9);
            var color = palette.GetColor(i);
            var point = plot.Add.Scatter(new[] { x }, new[] { median });
            point.Color = color;
            point.MarkerSize = 14;
            point.LegendText = $"{SimulateCommand.Name(policy)} (median; bar to p90)";
            if (double.IsFinite(p90))
            {
                var line = plot.Add.Line(x, median, x, p90);
                line.Color = color.WithAlpha(0.5);
                line.LineWidth = 3;
            }
            var label = plot.Add.Text(SimulateCommand.Name(policy), x, median);
            label.LabelFontColor = color;
            label.LabelFontSize = 12;
            label.OffsetX = 10;
        }
        plot.Title($"Smart delivery: fewer interruptions vs time until seen ({subtitle})");
        plot.XLabel("interruptions per event (lower is better)");
        plot.YLabel("minutes until seen: median, line to p90 (lower is better)");
        plot.Axes.SetLimitsX(0, results.Max(r => r.Tally.Interruptions / (double)r.Tally.Events) * 1.35);
        plot.Axes.Bottom.Min = 0;
        plot.ShowLegend(Alignment.UpperRight);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 1100, 650);
    }
}
