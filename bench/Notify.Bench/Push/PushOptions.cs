using System.Globalization;

namespace Notify.Bench.Push;

/// <summary>The flags of <c>push</c>, hand-parsed like <c>load</c>'s.</summary>
public sealed class PushOptions
{
    public const string Usage = """
        usage: Notify.Bench push [flags]
          --concurrency N        concurrent senders, through the adapter and in the raw baseline (default 64)
          --duration S           measured seconds of the adapter phase; the baseline sends as many requests (default 10)
          --warmup S             unmeasured warm-up seconds before each phase (default 3)
          --in-process           run the loopback FCM inside the bench process instead of a child process
                                 (it then shares the driver's GC and thread pool and its allocations are counted)
        """;

    public int Concurrency { get; private set; } = 64;
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);
    public bool InProcess { get; private set; }

    public static bool TryParse(string[] args, out PushOptions? options, out string? error)
    {
        var o = new PushOptions();
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
                    case "--concurrency": o.Concurrency = Int(Value(), 1, 4096); break;
                    case "--duration": o.Duration = Seconds(Value(), 1, 600); break;
                    case "--warmup": o.Warmup = Seconds(Value(), 0, 600); break;
                    case "--in-process": o.InProcess = true; break;
                    default: error = $"unknown flag '{flag}'"; return false;
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                error = $"{flag}: {e.Message}";
                return false;
            }
        }
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
