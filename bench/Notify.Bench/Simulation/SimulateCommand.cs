using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Notify.Engine.Learning;
using Notify.Engine.Rules;
using Notify.Learning;
using Notify.Storage.Sqlite;

namespace Notify.Bench.Simulation;

/// <summary>The smart-delivery benchmark and the training-data generator (<c>Notify.Bench simulate ...</c>).</summary>
internal static class SimulateCommand
{
    public const string Usage = """
          simulate [--seed 42] [--users 800] [--days 14] [--events 10] [--model models/response.zip]
                   [--breakdown [--against fan-out|most-recent|slack]] [--chart docs/smart-delivery.png] [--markdown PATH]
              replays one simulated population's events through fan-out, most-recent-device, Slack-style (each held
              through quiet hours), Notify's rules, Notify's rules with the learned model (when the model file exists)
              and, for reference, fan-out ignoring quiet hours; prints the table and Notify's standing
          simulate --record data/sim-outcomes.db [--seed 7] [--users 800] [--days 14]
              runs Notify's rules with random tie-breaks on the population and records every delivery's outcome
              in that SQLite file (replaced), for: dotnet run --project src/Notify.Server -- train --store PATH
        """;

    public sealed record Options(int Seed, int Users, int Days, double EventsPerDay, string? ModelPath, string? ChartPath, string? MarkdownPath, string? RecordPath)
    {
        /// <summary>Print how Notify's policies made each event's first delivery.</summary>
        public bool Breakdown { get; init; }

        /// <summary>The policy the breakdown compares every other with (fan-out by default).</summary>
        public PolicyKind Against { get; init; } = PolicyKind.FanOut;
    }

    public static bool TryParse(string[] args, out Options options, out string? error)
    {
        options = new Options(42, 800, 14, 10, "models/response.zip", null, null, null);
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            bool Int(out int v) => int.TryParse(value, CultureInfo.InvariantCulture, out v) && v > 0;
            switch (args[i])
            {
                case "--seed" when Int(out var seed): options = options with { Seed = seed }; i++; break;
                case "--users" when Int(out var users): options = options with { Users = users }; i++; break;
                case "--days" when Int(out var days): options = options with { Days = days }; i++; break;
                case "--events" when double.TryParse(value, CultureInfo.InvariantCulture, out var e) && e > 0: options = options with { EventsPerDay = e }; i++; break;
                case "--model" when value is not null: options = options with { ModelPath = value == "none" ? null : value }; i++; break;
                case "--chart" when value is not null: options = options with { ChartPath = value }; i++; break;
                case "--markdown" when value is not null: options = options with { MarkdownPath = value }; i++; break;
                case "--record" when value is not null: options = options with { RecordPath = value }; i++; break;
                case "--breakdown": options = options with { Breakdown = true }; break;
                case "--against" when value is "fan-out" or "most-recent" or "slack":
                    options = options with { Against = value switch { "most-recent" => PolicyKind.MostRecent, "slack" => PolicyKind.SlackStyle, _ => PolicyKind.FanOut } };
                    i++;
                    break;
                default: error = $"simulate: '{args[i]}' is not an option here or lacks a valid value"; return false;
            }
        }
        return true;
    }

    public static async Task<int> RunAsync(Options o)
    {
        var root = RepoRoot();
        var rules = LoadRules(Path.Combine(root, "rules"));
        if (o.RecordPath is { } record) return await RecordAsync(o, rules, Path.GetFullPath(record));

        var policies = new List<PolicyKind> { PolicyKind.FanOut, PolicyKind.MostRecent, PolicyKind.SlackStyle, PolicyKind.NotifyRules };
        ResponseScoring? scoring = null;
        var modelPath = o.ModelPath is null ? null : Path.IsPathRooted(o.ModelPath) ? o.ModelPath : Path.Combine(root, o.ModelPath);
        if (modelPath is not null && File.Exists(modelPath))
        {
            var model = MlResponseModel.Load(modelPath);
            Console.WriteLine($"model: {model.Description}, scored {(model.FastPath ? "from the tree parameters" : $"by ML.NET's prediction engine ({model.FastPathOffBecause})")}");
            scoring = new ResponseScoring(model);
            policies.Add(PolicyKind.NotifyModel);
        }
        else Console.WriteLine($"no model at {modelPath ?? "(none)"}: the 'Notify rules + model' row is left out");
        policies.Add(PolicyKind.FanOutIgnoringQuietHours);

        var clock = Stopwatch.StartNew();
        var breakdown = o.Breakdown ? new SimulationBreakdown(o.Against) : null;
        var results = Run(o, rules, policies, scoring, null, breakdown);
        if (breakdown is not null) Console.WriteLine(breakdown.Report(policies));
        Console.WriteLine($"simulated {o.Users} users x {o.Days} days, seed {o.Seed} (skipBelow as each rule says), in {clock.Elapsed.TotalSeconds:F0} s");
        var table = Table(results);
        Console.WriteLine(table);
        var verdict = Verdict(results);
        Console.WriteLine(verdict);
        if (o.MarkdownPath is { } md) await File.WriteAllTextAsync(md, table + "\n" + verdict + "\n");
        if (o.ChartPath is { } chart)
        {
            var path = Path.IsPathRooted(chart) ? chart : Path.Combine(root, chart);
            SimulationChart.Write(results, path, $"{o.Users} users, {o.Days} days, seed {o.Seed}");
            Console.WriteLine($"chart: {path}");
        }
        return 0;
    }

    /// <summary>Runs the policies over the population, users in parallel, merged in user order (deterministic).</summary>
    public static IReadOnlyList<(PolicyKind Policy, PolicyTally Tally)> Run(Options o, RuleSet rules, IReadOnlyList<PolicyKind> policies,
        ResponseScoring? scoring, IOutcomeRecorder? recorder, SimulationBreakdown? breakdown = null)
    {
        var simulator = new Simulator(o.Seed, rules, scoring, recorder) { Explain = breakdown is not null };
        var perUser = new PolicyTally[o.Users][];
        Parallel.For(0, o.Users, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var user = Population.Build(o.Seed, i, o.Days, o.EventsPerDay);
            perUser[i] = policies.Select(p => simulator.Run(user, p)).ToArray();
            if (breakdown is null) return;
            var reference = policies.ToList().IndexOf(breakdown.Against) is var f and >= 0 ? perUser[i][f].Notes : null;
            for (var k = 0; k < policies.Count; k++) breakdown.Add(policies[k], perUser[i][k].Notes!, reference);
            foreach (var t in perUser[i]) t.Notes = null;
        });
        return policies.Select((p, k) =>
        {
            var total = new PolicyTally();
            foreach (var u in perUser) total.Add(u[k]);
            return (p, total);
        }).ToList();
    }

    private static async Task<int> RecordAsync(Options o, RuleSet rules, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
        await using var store = new SqliteStore(new SqliteOptions { Path = path }, NullLogger<SqliteStore>.Instance);
        var clock = Stopwatch.StartNew();
        var results = Run(o, rules, [PolicyKind.Explore], null, store);
        await store.FlushOutcomesAsync();
        var outcomes = await store.ReadOutcomesAsync();
        Console.WriteLine($"recorded {outcomes.Count} outcomes ({outcomes.Count(x => x.Responded == true)} responded within the wait) " +
                          $"for {results[0].Tally.Events} events of {o.Users} users, seed {o.Seed}, in {clock.Elapsed.TotalSeconds:F0} s: {path}");
        return 0;
    }

    public static RuleSet LoadRules(string directory)
    {
        var set = new RuleSet();
        set.Apply(RuleDirectory.List(directory).Select(f => RuleDirectory.Read(directory, f)), Population.Start);
        if (set.Problems.Count > 0) throw new InvalidOperationException($"rules in {directory}: {string.Join("; ", set.Problems)}");
        return set;
    }

    public static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, "rules")) && File.Exists(Path.Combine(dir.FullName, "appsettings.json")))
                    return dir.FullName;
        throw new InvalidOperationException("Run from inside the repository: the rules/ folder was not found.");
    }

    public static string Name(PolicyKind p) => p switch
    {
        PolicyKind.FanOut => "Fan-out to every device",
        PolicyKind.MostRecent => "Most recently active device",
        PolicyKind.SlackStyle => "Slack-style (desktop, then phone)",
        PolicyKind.FanOutIgnoringQuietHours => "(reference) Fan-out ignoring quiet hours",
        PolicyKind.NotifyRules => "Notify rules (heuristic ranking)",
        PolicyKind.NotifyModel => "Notify rules + learned model",
        _ => "Notify rules, random tie-breaks",
    };

    public static double Percentile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    public static string Minutes(double v) => double.IsPositiveInfinity(v) ? "never" : v.ToString(v < 10 ? "F1" : "F0", CultureInfo.InvariantCulture) + " min";

    public static string Table(IReadOnlyList<(PolicyKind Policy, PolicyTally Tally)> results)
    {
        var s = new StringBuilder();
        s.Append("| policy | interruptions per event | seen within 1 min | median time to seen | p90 time to seen | not seen within 1 h | quiet-hours violations per 100 events (sent in them + sent before, arriving in them) | deliveries to devices under 15% battery per 100 events |\n");
        s.Append("|---|---|---|---|---|---|---|---|\n");
        foreach (var (p, t) in results)
        {
            var m = Metrics.Of(t);
            s.Append(CultureInfo.InvariantCulture, $"| {Name(p)} | {m.Interruptions:F2} | {m.WithinMinute:P1} | {Minutes(m.Median)} | {Minutes(m.P90)} | {m.Unseen1h:P1} | {m.QuietViolations:F2} + {100.0 * t.QuietLateArrivals / t.Events:F2} | {100.0 * t.LowBattery / t.Events:F2} |\n");
        }
        s.Append(CultureInfo.InvariantCulture, $"\n{results[0].Tally.Events:N0} events per policy.\n");
        return s.ToString();
    }

    /// <summary>One policy's headline figures.</summary>
    /// <param name="Interruptions">Per event.</param>
    /// <param name="WithinMinute">Share of events seen in the minute of the notify call.</param>
    /// <param name="QuietViolations">Alerting deliveries sent inside the user's quiet hours, per 100 events.</param>
    public readonly record struct Metrics(double Interruptions, double WithinMinute, double Median, double P90, double Unseen1h, double QuietViolations)
    {
        public static Metrics Of(PolicyTally t)
        {
            var sorted = t.TimeToSeen.Order().ToList();
            return new Metrics(t.Interruptions / (double)t.Events, sorted.Count(x => x < 1) / (double)t.Events, Percentile(sorted, 0.5),
                Percentile(sorted, 0.9), sorted.Count(x => x > 60) / (double)t.Events, 100.0 * t.QuietViolations / t.Events);
        }
    }

    /// <summary>The issue's bar: each Notify policy ahead of every baseline that respects quiet hours on seen-within-1-min
    /// and on the p90 time to seen, at no more than 1.2 interruptions per event and with nothing alerting sent inside
    /// quiet hours (<see cref="PolicyTally.QuietViolations"/>; late arrivals are reported in the table, not judged). Prints
    /// each Notify policy's standing against each of those baselines.</summary>
    public static string Verdict(IReadOnlyList<(PolicyKind Policy, PolicyTally Tally)> results)
    {
        var s = new StringBuilder();
        var baselines = results.Where(r => PolicyKinds.Baselines.Contains(r.Policy)).Select(r => (r.Policy, M: Metrics.Of(r.Tally))).ToList();
        var notify = results.Where(r => r.Policy is PolicyKind.NotifyRules or PolicyKind.NotifyModel).Select(r => (r.Policy, M: Metrics.Of(r.Tally))).ToList();
        if (baselines.Count == 0 || notify.Count == 0) return "bar: not evaluated (needs a baseline and a Notify row)";
        s.Append("Standing against the baselines that respect quiet hours (seen within 1 min: difference in points; p90: Notify vs baseline):\n\n");
        s.Append("| Notify policy | baseline | seen within 1 min | p90 time to seen | ahead on both |\n|---|---|---|---|---|\n");
        var allMet = true;
        foreach (var (np, n) in notify)
        {
            var ahead = true;
            foreach (var (bp, b) in baselines)
            {
                var minute = n.WithinMinute > b.WithinMinute;
                var tail = n.P90 < b.P90;
                ahead &= minute && tail;
                s.Append(CultureInfo.InvariantCulture,
                    $"| {Name(np)} | {Name(bp)} | {100 * (n.WithinMinute - b.WithinMinute):+0.0;-0.0} pt ({n.WithinMinute:P1} vs {b.WithinMinute:P1}) | {Minutes(n.P90)} vs {Minutes(b.P90)} | {(minute && tail ? "yes" : "no")} |\n");
            }
            var met = ahead && n.Interruptions <= 1.2 && n.QuietViolations == 0;
            allMet &= met;
            s.Append(CultureInfo.InvariantCulture,
                $"\nbar for {Name(np)} (ahead of every baseline on both, <= 1.20 interruptions per event, nothing alerting sent in quiet hours): " +
                $"{(ahead ? "ahead" : "NOT ahead")}, interruptions {n.Interruptions:F3}, seen within 1 min {n.WithinMinute:P2}, p90 {n.P90:F1} min, alerting sends in quiet hours {n.QuietViolations:F2} per 100: {(met ? "MET" : "NOT MET")}\n\n");
        }
        s.Append(allMet ? "bar: MET for every Notify policy" : "bar: NOT MET");
        return s.ToString();
    }
}
