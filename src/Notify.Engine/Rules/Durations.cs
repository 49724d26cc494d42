using System.Globalization;
using System.Text.RegularExpressions;
using NodaTime;
using NodaTime.Text;

namespace Notify.Engine.Rules;

/// <summary>
/// Parses the durations rules and notify calls use: the short form (<c>30s</c>, <c>10m</c>, <c>1h30m</c>,
/// <c>1d</c>) and ISO-8601 (<c>PT30S</c>, <c>P1D</c>). Months and years are refused: they have no fixed length.
/// </summary>
public static partial class Durations
{
    // ASCII digits only: \d also matches other scripts' digits ('١'), which long.Parse refuses.
    [GeneratedRegex(@"^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex ShortForm();

    public const string Expected = "a duration such as 30s, 10m, 1h, 1d, 1h30m or ISO-8601 (PT30S)";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        var m = ShortForm().Match(text);
        if (m.Success && text.Length > 0)
        {
            long Part(int i) => !m.Groups[i].Success ? 0
                : long.TryParse(m.Groups[i].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new OverflowException();
            try
            {
                value = TimeSpan.FromDays(Part(1)) + TimeSpan.FromHours(Part(2)) + TimeSpan.FromMinutes(Part(3)) + TimeSpan.FromSeconds(Part(4));
                return true;
            }
            catch (OverflowException) { return false; }
        }
        var iso = PeriodPattern.NormalizingIso.Parse(text);
        if (!iso.Success || iso.Value.Months != 0 || iso.Value.Years != 0) return false;
        try
        {
            value = iso.Value.ToDuration().ToTimeSpan();
            return value >= TimeSpan.Zero;
        }
        catch (OverflowException) { return false; }
    }

    /// <summary>The short form of a duration, for messages and traces.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        var parts = new List<string>();
        if (value.Days > 0) parts.Add($"{value.Days}d");
        if (value.Hours > 0) parts.Add($"{value.Hours}h");
        if (value.Minutes > 0) parts.Add($"{value.Minutes}m");
        if (value.Seconds > 0 || parts.Count == 0) parts.Add($"{value.Seconds}s");
        return string.Concat(parts);
    }

    internal static Duration ToDuration(TimeSpan value) => Duration.FromTimeSpan(value);
}
