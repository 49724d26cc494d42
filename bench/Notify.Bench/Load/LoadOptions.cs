using System.Globalization;

namespace Notify.Bench.Load;

/// <summary>The flags of <c>load</c>, hand-parsed (no command-line package to pin for a handful of flags).</summary>
public sealed class LoadOptions
{
    public const string Usage = """
        usage: Notify.Bench load [flags]
          --url URL              Notify server (default http://127.0.0.1:5099; with --start-server a free port unless given)
          --users N              users, each with one desktop device connected over WebSocket and active (default 200)
          --concurrency N        concurrent HTTP/1.1 clients in the throughput phases (default 64)
          --duration S           measured seconds per phase (default 10)
          --warmup S             unmeasured warm-up seconds before each throughput phase (default 3)
          --skip-bare            do not measure the bare Kestrel baseline
          --start-server         start the built server (src/Notify.Server/bin/Release/net10.0) on a temp database, stop it at the end
          --repo DIR             repository root (default: found upward from the current directory)
          --app-key KEY          app key (default dev-app-key, the Development key)
          --rate R               paced notifies/s for the latency phase (default: half the measured notify peak)
          --latency-timeout S    a notification not received this long after the last send counts as lost (default 5)
          --ack                  devices acknowledge every notification ("seen"), adding that work to the server
          --server-env K=V       with --start-server, one more environment variable for the server (repeatable; for experiments)
          --edge URL             devices connect here instead of --url, e.g. Pushpin in front of the server (docs/operations.md)
        """;

    public Uri Url { get; private set; } = new("http://127.0.0.1:5099");
    public bool UrlGiven { get; private set; }
    public Uri? Edge { get; private set; }
    public int Users { get; private set; } = 200;
    public int Concurrency { get; private set; } = 64;
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);
    public bool SkipBare { get; private set; }
    public bool StartServer { get; private set; }
    public string? Repo { get; private set; }
    public string AppKey { get; private set; } = "dev-app-key";
    public double? Rate { get; private set; }
    public TimeSpan LatencyTimeout { get; private set; } = TimeSpan.FromSeconds(5);
    public bool Ack { get; private set; }
    public Dictionary<string, string> ServerEnvironment { get; } = new(StringComparer.Ordinal);

    public static bool TryParse(string[] args, out LoadOptions? options, out string? error)
    {
        var o = new LoadOptions();
        options = null;
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{flag} needs a value");
            try
            {
                switch (flag)
                {
                    case "--url": o.Url = new Uri(Value()); o.UrlGiven = true; break;
                    case "--users": o.Users = Int(Value(), 1, 100_000); break;
                    case "--concurrency": o.Concurrency = Int(Value(), 1, 4096); break;
                    case "--duration": o.Duration = Seconds(Value(), 1, 600); break;
                    case "--warmup": o.Warmup = Seconds(Value(), 0, 600); break;
                    case "--skip-bare": o.SkipBare = true; break;
                    case "--start-server": o.StartServer = true; break;
                    case "--repo": o.Repo = Value(); break;
                    case "--app-key": o.AppKey = Value(); break;
                    case "--rate": o.Rate = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--latency-timeout": o.LatencyTimeout = Seconds(Value(), 0.1, 120); break;
                    case "--ack": o.Ack = true; break;
                    case "--edge": o.Edge = new Uri(Value()); break;
                    case "--server-env":
                        var pair = Value().Split('=', 2);
                        if (pair.Length != 2 || pair[0].Length == 0) throw new FormatException("expected KEY=VALUE");
                        o.ServerEnvironment[pair[0]] = pair[1];
                        break;
                    default: error = $"unknown flag '{flag}'"; return false;
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException or UriFormatException)
            {
                error = $"{flag}: {e.Message}";
                return false;
            }
        }
        if (o.Rate is <= 0) { error = "--rate must be greater than zero"; return false; }
        options = o;
        return true;
    }

    private static int Int(string text, int min, int max)
    {
        var v = int.Parse(text, CultureInfo.InvariantCulture);
        return v >= min && v <= max ? v : throw new FormatException($"'{text}' is outside {min}..{max}");
    }

    private static TimeSpan Seconds(string text, double min, double max)
    {
        var v = double.Parse(text, CultureInfo.InvariantCulture);
        return v >= min && v <= max ? TimeSpan.FromSeconds(v) : throw new FormatException($"'{text}' is outside {min}..{max} seconds");
    }
}
