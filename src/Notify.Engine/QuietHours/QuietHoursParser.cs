using System.Globalization;
using System.Text.RegularExpressions;
using Notify.Engine.Model;
using NodaTime;
using NodaTime.Text;

namespace Notify.Engine.QuietHours;

/// <summary>One window of the <c>PUT /v1/users/{id}/quiet-hours</c> body as JSON gives it, before
/// validation: <c>{ "days": ["mon", "tue"], "from": "22:00", "to": "07:00" }</c>.</summary>
/// <param name="Days">Day names the window starts on; see <see cref="QuietHoursParser"/>.</param>
/// <param name="From">Local start, <c>HH:mm</c> on a 24-hour clock.</param>
/// <param name="To">Local end, <c>HH:mm</c>; not after <paramref name="From"/> means overnight, equal means 24 hours.</param>
public sealed record QuietWindowInput(IReadOnlyList<string>? Days, string? From, string? To);

/// <summary>
/// Validates the wire form of quiet hours,
/// <c>{ "windows": [{ "days": ["mon", …], "from": "22:00", "to": "07:00" }], "snoozeUntil"?: instant, "allow": ["critical", …] }</c>,
/// into <see cref="QuietHoursSettings"/>, reporting every problem at once.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>days</b>: <c>mon</c>, <c>tue</c>, <c>wed</c>, <c>thu</c>, <c>fri</c>, <c>sat</c>, <c>sun</c>, and the
/// shorthands <c>weekdays</c> (mon-fri), <c>weekend</c> (sat, sun) and <c>daily</c> (all seven). Lowercase is the
/// canonical form, but any case is accepted, like the enum names elsewhere on the wire (<see cref="Names"/>). At
/// least one; duplicates are merged. They are the days a window <i>starts</i> on.</item>
/// <item><b>from</b>, <b>to</b>: <c>HH:mm</c>, 24-hour, two-digit hour (<c>07:00</c>, not <c>7:00</c> or <c>7am</c>).
/// There is no <c>24:00</c>: a window ending at midnight is written <c>"to": "00:00"</c>.</item>
/// <item><b>allow</b>: priority wire names (<c>low</c>, <c>normal</c>, <c>high</c>, <c>critical</c>); absent means none.</item>
/// <item><b>windows</b>: at most <see cref="MaxWindows"/>; absent or empty means no recurring quiet hours.</item>
/// <item><b>snoozeUntil</b>: any instant; one in the past simply means no snooze (the parser has no clock to
/// compare with, and a snooze that ran out is not an error).</item>
/// </list>
/// Each error names the field (<c>windows[1].from</c>, <c>allow[0]</c>) and says what to send instead.
/// </remarks>
public static partial class QuietHoursParser
{
    /// <summary>The most windows one user may have. Real schedules need a handful; the cap bounds the work of
    /// every decision for that user.</summary>
    public const int MaxWindows = 50;

    private const string DaysExpected = "mon, tue, wed, thu, fri, sat or sun (or weekdays, weekend, daily)";
    private const string TimeExpected = "HH:mm on a 24-hour clock, e.g. \"22:00\" or \"07:30\"";

    private static readonly LocalTimePattern HourMinute = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    [GeneratedRegex(@"^\s*([0-9]{1,2})(?::([0-9]{2}))?\s*([ap])\.?m\.?\s*\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TwelveHour();

    [GeneratedRegex(@"^([0-9]):([0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex OneDigitHour();

    /// <summary>Parses and validates the body.</summary>
    /// <param name="windows">The <c>windows</c> array; null is the same as empty.</param>
    /// <param name="snoozeUntil">The <c>snoozeUntil</c> instant, passed through.</param>
    /// <param name="allow">The <c>allow</c> array; null is the same as empty.</param>
    /// <param name="errors">Every problem as (field path, what to send instead); empty on success.</param>
    /// <returns>The settings, or null when <paramref name="errors"/> is not empty.</returns>
    public static QuietHoursSettings? TryParse(IReadOnlyList<QuietWindowInput>? windows, DateTimeOffset? snoozeUntil,
        IReadOnlyList<string>? allow, out IReadOnlyList<(string Field, string Message)> errors)
    {
        var problems = new List<(string Field, string Message)>();
        windows ??= [];
        if (windows.Count > MaxWindows)
            problems.Add(("windows", $"{windows.Count} windows, at most {MaxWindows} allowed; list several days on one window instead of one window per day"));

        var parsed = new List<QuietWindow>(windows.Count);
        for (var i = 0; i < windows.Count; i++)
        {
            if (ParseWindow(windows[i], $"windows[{i}]", problems) is { } window) parsed.Add(window);
        }

        var priorities = new List<Priority>();
        allow ??= [];
        for (var i = 0; i < allow.Count; i++)
        {
            if (Names.TryParse<Priority>(allow[i], out var priority))
            {
                if (!priorities.Contains(priority)) priorities.Add(priority);
            }
            else
            {
                problems.Add(($"allow[{i}]", $"unknown priority {Quote(allow[i])}; send one of {Names.List<Priority>()}"));
            }
        }

        errors = problems;
        return problems.Count == 0 ? new QuietHoursSettings(parsed, snoozeUntil, priorities) : null;
    }

    private static QuietWindow? ParseWindow(QuietWindowInput? input, string path, List<(string, string)> problems)
    {
        if (input is null)
        {
            problems.Add((path, "missing window; send { \"days\": [\"mon\"], \"from\": \"22:00\", \"to\": \"07:00\" }"));
            return null;
        }
        var before = problems.Count;
        var days = ParseDays(input.Days, $"{path}.days", problems);
        var from = ParseTime(input.From, $"{path}.from", problems);
        var to = ParseTime(input.To, $"{path}.to", problems);
        return problems.Count == before ? new QuietWindow(days, from, to) : null;
    }

    private static List<IsoDayOfWeek> ParseDays(IReadOnlyList<string>? days, string path, List<(string, string)> problems)
    {
        var set = new SortedSet<IsoDayOfWeek>();
        if (days is null || days.Count == 0)
        {
            problems.Add((path, $"missing days; send the days the window starts on, e.g. [\"mon\", \"tue\"]: {DaysExpected}"));
            return [];
        }
        for (var i = 0; i < days.Count; i++)
        {
            if (!TryParseDays(days[i], set)) problems.Add(($"{path}[{i}]", DayMessage(days[i])));
        }
        return [.. set];
    }

    private static bool TryParseDays(string? text, SortedSet<IsoDayOfWeek> into)
    {
        switch (text?.ToLowerInvariant())
        {
            case null: return false;
            case "daily":
                for (var d = IsoDayOfWeek.Monday; d <= IsoDayOfWeek.Sunday; d++) into.Add(d);
                return true;
            case "weekdays":
                for (var d = IsoDayOfWeek.Monday; d <= IsoDayOfWeek.Friday; d++) into.Add(d);
                return true;
            case "weekend":
                into.Add(IsoDayOfWeek.Saturday);
                into.Add(IsoDayOfWeek.Sunday);
                return true;
        }
        if (!QuietWindowMapping.TryParseDay(text.ToLowerInvariant(), out var day)) return false;
        into.Add(day);
        return true;
    }

    private static string DayMessage(string? text)
    {
        var lower = text?.Trim().ToLowerInvariant() ?? "";
        if (lower.Length > 0 && lower != text && TryParseDays(lower, []))
            return $"unknown day {Quote(text)}; remove the spaces: \"{lower}\"";
        if (lower.Length > 3 && QuietWindowMapping.TryParseDay(lower[..3], out _))
            return $"unknown day {Quote(text)}; use the three-letter name \"{lower[..3]}\" ({DaysExpected})";
        return $"unknown day {Quote(text)}; send {DaysExpected}";
    }

    private static LocalTime ParseTime(string? text, string path, List<(string, string)> problems)
    {
        if (string.IsNullOrEmpty(text))
        {
            problems.Add((path, $"missing time; send {TimeExpected}"));
            return default;
        }
        var result = HourMinute.Parse(text);
        if (result.Success) return result.Value;
        problems.Add((path, TimeMessage(text)));
        return default;
    }

    private static string TimeMessage(string text)
    {
        if (text.Trim() == "24:00")
            return "\"24:00\" is not a time; a window that ends at midnight is written \"to\": \"00:00\"";
        if (OneDigitHour().Match(text) is { Success: true } one)
            return $"{Quote(text)} needs a two-digit hour: \"0{one.Groups[1].Value}:{one.Groups[2].Value}\"";
        if (TwelveHour().Match(text) is { Success: true } m)
        {
            var hour = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var minute = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
            if (hour is >= 1 and <= 12 && minute < 60)
            {
                var pm = m.Groups[3].Value is "p" or "P";
                var h24 = hour % 12 + (pm ? 12 : 0);
                return $"{Quote(text)} is a 12-hour time; send the 24-hour form \"{h24:00}:{minute:00}\"";
            }
        }
        return $"{Quote(text)} is not a time; send {TimeExpected}";
    }

    private static string Quote(string? text) => text is null ? "null" : $"'{text}'";
}
