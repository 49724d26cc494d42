using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Notify.Bench.Load;

/// <summary>The results of a <c>load</c> run as Markdown tables, ready to paste into docs/benchmarks.md.</summary>
public sealed class Report(LoadOptions options, string[] commandLine)
{
    private const double RatioTarget = 0.5;
    private const double P99TargetMs = 100;

    public Uri? Url { get; set; }
    public PhaseResult? Bare { get; set; }
    public PhaseResult? Notify { get; set; }
    public long NotifyInApp { get; set; }
    public LatencyResult? Latency { get; set; }
    public int OpenSockets { get; set; }
    public long FleetErrors { get; set; }
    public string? LastFleetError { get; set; }

    public static void Machine()
    {
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, " +
            $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC in the driver; load average at start: {load}");
    }

    public void Print(IReadOnlyList<string>? serverLog)
    {
        var w = Console.Out;
        w.WriteLine();
        w.WriteLine("## Notify load run");
        w.WriteLine();
        w.WriteLine($"command: `Notify.Bench {string.Join(' ', commandLine)}`");
        w.WriteLine($"server: {Url}; users: {options.Users}; concurrency: {options.Concurrency}; warm-up: {S(options.Warmup)}; " +
            $"measured: {S(options.Duration)} per phase; acks: {(options.Ack ? "on" : "off")}; {Environment.ProcessorCount} cores");
        if (options.ServerEnvironment.Count > 0)
            w.WriteLine($"server environment added: {string.Join(", ", options.ServerEnvironment.Select(e => $"{e.Key}={e.Value}"))}");
        w.WriteLine();
        w.WriteLine("| measure | result | target |");
        w.WriteLine("|---|---:|---|");
        if (Bare is not null) w.WriteLine($"| bare Kestrel JSON endpoint (`POST /echo`), req/s | {N(Bare.PerSecond)} | baseline |");
        if (Notify is not null) w.WriteLine($"| `POST /v1/notify` (202 only), req/s | {N(Notify.PerSecond)} | |");
        if (Bare is not null && Notify is not null)
        {
            var ratio = Notify.PerSecond / Bare.PerSecond;
            w.WriteLine($"| ratio notify / bare | {ratio:F2} | ≥ {RatioTarget:F2} {(ratio >= RatioTarget ? "met" : "NOT met")} |");
        }
        if (Latency is { } l)
        {
            var p = Percentiles.Of(l.DeliveryTicks, 50, 90, 99, 100);
            w.WriteLine($"| notify → device (from due time), paced at {N(l.Rate)}/s: p50 / p90 / p99 / max, ms | {F(p[0])} / {F(p[1])} / {F(p[2])} / {F(p[3])} | " +
                $"p99 < {P99TargetMs} ms {(p[2] < P99TargetMs ? "met" : "NOT met")} |");
            w.WriteLine($"| notifications accepted but not received within {S(options.LatencyTimeout)} | {l.Lost} of {l.Http.Ok} | 0 |");
        }
        w.WriteLine();

        w.WriteLine("| detail | bare | notify |");
        w.WriteLine("|---|---:|---:|");
        w.WriteLine($"| successes in the window | {Bare?.Ok.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} | {Notify?.Ok.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} |");
        w.WriteLine($"| errors in the window | {Errors(Bare)} | {Errors(Notify)} |");
        w.WriteLine($"| response time p50 / p99, ms (closed loop) | {Times(Bare)} | {Times(Notify)} |");
        w.WriteLine($"| CPU used in the window, cores: bench process / Notify server / whole machine (the bare endpoint runs inside the bench process) | {Cpu(Bare)} | {Cpu(Notify)} |");
        if (Notify is not null && Notify.Cpu.TryGetValue("server", out var serverCpu) && Notify.Ok > 0)
            w.WriteLine($"| Notify server CPU per notify, µs (server CPU time in the window / 202s in the window; robust to other load) | | {N(serverCpu.TotalMicroseconds / Notify.Ok)} |");
        if (Notify is not null)
            w.WriteLine($"| 202 status values | | {string.Join(", ", Notify.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key} {t.Value:N0}"))} |");
        if (Notify is not null)
            w.WriteLine($"| notifications received over WebSocket / 202s in the phase | | {NotifyInApp:N0} / {Notify.AllOk:N0} |");
        w.WriteLine();

        if (Latency is { } lat)
        {
            var http = Percentiles.Of(lat.Http.ResponseTicks, 50, 99, 100);
            var lag = Percentiles.Of(lat.SenderLagTicks, 50, 99, 100);
            w.WriteLine("| paced phase | value |");
            w.WriteLine("|---|---:|");
            w.WriteLine($"| sent / accepted (202) / errors | {lat.Sent:N0} / {lat.Http.Ok:N0} / {Errors(lat.Http)} |");
            w.WriteLine($"| achieved send rate, /s | {N(lat.Sent / lat.Elapsed.TotalSeconds)} |");
            var fromSend = Percentiles.Of(lat.DeliveryFromSendTicks, 50, 90, 99, 100);
            w.WriteLine($"| notify → device from the actual send (driver lag excluded) p50 / p90 / p99 / max, ms | {F(fromSend[0])} / {F(fromSend[1])} / {F(fromSend[2])} / {F(fromSend[3])} |");
            w.WriteLine($"| request → 202 (from due time) p50 / p99 / max, ms | {F(http[0])} / {F(http[1])} / {F(http[2])} |");
            w.WriteLine($"| driver lag behind schedule p50 / p99 / max, ms | {F(lag[0])} / {F(lag[1])} / {F(lag[2])} |");
            w.WriteLine($"| CPU used, cores: bench process / Notify server / whole machine | {Cpu(lat.Http)} |");
            w.WriteLine($"| received with no matching 202 (earlier phases' stragglers) | {lat.Unclaimed} |");
            w.WriteLine($"| device sockets open at the end / error messages or socket failures | {OpenSockets} of {options.Users} / {FleetErrors} |");
            w.WriteLine();
        }

        foreach (var (name, phase) in new[] { ("bare", Bare), ("notify", Notify), ("paced", Latency?.Http) })
            if (phase is not null)
                foreach (var sample in phase.Samples) w.WriteLine($"{name} error sample: {sample}");
        if (LastFleetError is not null) w.WriteLine($"last device-side error: {LastFleetError}");

        if (serverLog is not null)
        {
            // The console logger writes "warn: Category[id]" and the message on the next, indented line.
            var notable = new List<string>();
            for (var i = 0; i < serverLog.Count; i++)
            {
                var line = serverLog[i];
                if (!(line.StartsWith("warn", StringComparison.Ordinal) || line.StartsWith("fail", StringComparison.Ordinal)
                    || line.StartsWith("crit", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal))) continue;
                var next = i + 1 < serverLog.Count && serverLog[i + 1].StartsWith(' ') ? " " + serverLog[i + 1].Trim() : "";
                notable.Add(line + next);
            }
            w.WriteLine($"server log: {serverLog.Count} line(s) kept, {notable.Count} warning/error entries");
            foreach (var line in notable.TakeLast(20)) w.WriteLine("  " + line);
        }
    }

    private static string N(double v) => double.IsFinite(v) ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";
    private static string F(double v) => double.IsFinite(v) ? v.ToString(v < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) : "-";
    private static string S(TimeSpan t) => t.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture) + " s";

    private static string Errors(PhaseResult? p) => p is null ? "-"
        : p.Errors.IsEmpty ? "0" : string.Join(", ", p.Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value:N0}"));

    private static string Times(PhaseResult? p)
    {
        if (p is null) return "-";
        var t = Percentiles.Of(p.ResponseTicks, 50, 99);
        return $"{F(t[0])} / {F(t[1])}";
    }

    private string Cpu(PhaseResult? p)
    {
        if (p is null) return "-";
        string Cores(string name) => p.Cpu.TryGetValue(name, out var t) ? (t.TotalSeconds / options.Duration.TotalSeconds).ToString("F2", CultureInfo.InvariantCulture) : "-";
        return $"{Cores("driver")} / {Cores("server")} / {Cores(CpuWindow.Machine)}";
    }
}
