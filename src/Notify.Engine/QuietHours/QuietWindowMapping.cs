using NodaTime;
using NodaTime.Text;
using NodaTime.TimeZones;

namespace Notify.Engine.QuietHours;

/// <summary>One window on one day, mapped to instants: quiet in [<see cref="Start"/>, <see cref="End"/>).</summary>
internal readonly record struct QuietOccurrence(Instant Start, Instant End, QuietWindow Window, LocalDate Day);

/// <summary>
/// Turns local windows into instants in a zone. The daylight-saving choices live here, in the two
/// resolvers, and nowhere else; <see cref="QuietHoursCalculator"/> documents them for callers.
/// </summary>
internal static class QuietWindowMapping
{
    /// <summary>A start in a gap begins at the jump (the first instant after the gap); a start in an
    /// overlap begins at the earlier occurrence, when the clock first shows it.</summary>
    internal static readonly ZoneLocalMappingResolver StartResolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnStartOfIntervalAfter);

    /// <summary>An end in a gap ends at the jump (the first instant after the gap); an end in an overlap
    /// ends at the later occurrence, when the clock shows it for the last time.</summary>
    internal static readonly ZoneLocalMappingResolver EndResolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnLater, Resolvers.ReturnStartOfIntervalAfter);

    private static readonly LocalTimePattern HourMinute = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    private static readonly string[] DayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// <summary>The window as it starts on <paramref name="day"/>. Empty (Start == End) when both ends fall
    /// in the same gap, e.g. <c>02:10-02:40</c> on a spring-forward night in New York.</summary>
    internal static QuietOccurrence Map(QuietWindow window, LocalDate day, DateTimeZone zone)
    {
        var endDay = window.To <= window.From ? day.PlusDays(1) : day;
        var start = zone.ResolveLocal(day.At(window.From), StartResolver).ToInstant();
        var end = zone.ResolveLocal(endDay.At(window.To), EndResolver).ToInstant();
        return new QuietOccurrence(start, end, window, day);
    }

    /// <summary>True when <paramref name="window"/> starts on <paramref name="day"/>'s weekday.</summary>
    internal static bool StartsOn(QuietWindow window, IsoDayOfWeek day)
    {
        var days = window.Days;
        for (var i = 0; i < days.Count; i++)
        {
            if (days[i] == day) return true;
        }
        return false;
    }

    /// <summary>The wire name of a day: <c>mon</c> … <c>sun</c>.</summary>
    internal static string DayName(IsoDayOfWeek day) => DayNames[(int)day - 1];

    /// <summary>Parses a wire day name (<c>mon</c> … <c>sun</c>, lowercase).</summary>
    internal static bool TryParseDay(string text, out IsoDayOfWeek day)
    {
        var i = Array.IndexOf(DayNames, text);
        day = i < 0 ? IsoDayOfWeek.None : (IsoDayOfWeek)(i + 1);
        return i >= 0;
    }

    internal static string Format(LocalTime time) => HourMinute.Format(time);

    internal static string Format(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    /// <summary><c>sun 22:00-07:00</c> (the day it started on), for traces.</summary>
    internal static string Describe(QuietOccurrence occurrence) =>
        $"{DayName(occurrence.Day.DayOfWeek)} {Format(occurrence.Window.From)}-{Format(occurrence.Window.To)}";
}
