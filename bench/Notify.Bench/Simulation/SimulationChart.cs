using ScottPlot;

namespace Notify.Bench.Simulation;

/// <summary>The benchmark's chart: one panel per metric (interruptions per event, share seen within a minute, median and
/// p90 minutes until seen), one bar per policy in the same colour everywhere.</summary>
internal static class SimulationChart
{
    public static void Write(IReadOnlyList<(PolicyKind Policy, PolicyTally Tally)> results, string path, string subtitle)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var names = results.Select(r => Short(r.Policy)).ToArray();
        var panels = new (string Title, Func<PolicyTally, double> Value, string Format)[]
        {
            ("Interruptions per event (lower is better)", t => t.Interruptions / (double)t.Events, "F2"),
            ("Seen within 1 minute, % (higher is better)", t => 100.0 * t.TimeToSeen.Count(x => x < 1) / t.Events, "F1"),
            ("Median minutes until seen (lower is better)", t => Cap(SimulateCommand.Percentile(t.TimeToSeen.Order().ToList(), 0.5)), "F1"),
            ("p90 minutes until seen (lower is better)", t => Cap(SimulateCommand.Percentile(t.TimeToSeen.Order().ToList(), 0.9)), "F0"),
        };
        var multi = new Multiplot();
        multi.AddPlots(panels.Length);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        for (var p = 0; p < panels.Length; p++)
        {
            var plot = multi.GetPlot(p);
            var bars = results.Select((r, i) =>
            {
                var value = panels[p].Value(r.Tally);
                return new Bar { Position = i, Value = value, FillColor = palette.GetColor(i), Label = value.ToString(panels[p].Format, System.Globalization.CultureInfo.InvariantCulture) };
            }).ToList();
            var series = plot.Add.Bars(bars);
            series.ValueLabelStyle.FontSize = 11;
            plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, names.Length).Select(i => (double)i)], names);
            plot.Axes.Bottom.MinimumSize = 65;
            plot.Axes.Margins(bottom: 0, top: 0.15);
            plot.Title(panels[p].Title, size: 12);
        }
        multi.GetPlot(0).Axes.Left.Label.Text = subtitle;
        multi.GetPlot(0).Axes.Left.Label.FontSize = 12;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        multi.SavePng(path, 1500, 520);
    }

    /// <summary>"Never" (an unseen event at that percentile) drawn as a day.</summary>
    private static double Cap(double minutes) => double.IsFinite(minutes) ? minutes : 1440;

    private static string Short(PolicyKind p) => p switch
    {
        PolicyKind.FanOut => "Fan-out",
        PolicyKind.MostRecent => "Most\nrecent",
        PolicyKind.SlackStyle => "Slack-\nstyle",
        PolicyKind.NotifyRules => "Notify\nrules",
        PolicyKind.NotifyModel => "Notify\n+ model",
        PolicyKind.FanOutIgnoringQuietHours => "Fan-out,\nquiet hours\nignored",
        _ => "Explore",
    };
}
