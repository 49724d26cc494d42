using System.Text;
using Notify.Engine.Model;
using NodaTime;

namespace Notify.Engine.QuietHours;

/// <summary>
/// Answers "is this user in quiet hours now, and until when?" from <see cref="QuietHoursSettings"/>, the
/// user's zone and an instant. A pure function: the instant is a parameter (never the machine clock), so
/// the engine, <c>POST /v1/simulate</c> and tests all get the same answer for the same input.
/// </summary>
/// <remarks>
/// <para><b>Windows follow the wall clock.</b> Each window start and end is a local date and time mapped to
/// an instant in the user's zone, day by day. A hold therefore ends at the real local end time, not at a
/// fixed offset from the start: <c>22:00-07:00</c> across the spring change in Europe/Lisbon starts at
/// 22:00 UTC+0 and ends at 07:00 UTC+1 (06:00Z), 8 hours later, not 9.</para>
/// <para><b>Spring forward (a gap).</b> A local time the clock skips does not exist (01:30 in Lisbon on the
/// last Sunday of March, 02:30 in New York on the second Sunday of March). A window start <i>or</i> end there
/// maps to the first instant after the gap, the moment the clock jumps (02:00 WEST, 03:00 EDT). Quiet then
/// starts as soon as the clock shows a time at or past the start, and a window whose start and end both fall
/// in the gap is empty that night.</para>
/// <para><b>Fall back (an overlap).</b> A local time the clock shows twice (01:30 in Lisbon on the last Sunday
/// of October, in New York on the first Sunday of November). A window <b>start</b> maps to the <b>earlier</b>
/// occurrence and a window <b>end</b> to the <b>later</b> one. The rule behind both: a window covers every
/// moment at which the user's clock reads a time inside it, so nothing ever arrives showing, say, 01:10 in a
/// window the user set to end at 01:30. "Quiet until 01:30" on that night lasts until the second 01:30,
/// one hour longer than the clock difference suggests; ending at the first 01:30 would let notifications in
/// while the clock reads 01:00-01:30 again, which is what users would call a bug.</para>
/// <para><b>Continuity.</b> Windows that touch or overlap (Mon 22:00-07:00 and Tue 07:00-09:00), and a snooze
/// that runs into a window, are one continuous period; <see cref="QuietStatus.Until"/> is its end, so a held
/// notification is released once, when quiet really ends. Touching survives the changes: an end and a start
/// at the same local time map to the same instant in a gap, and the end is the later one in an overlap.</para>
/// <para><b>Look-ahead.</b> The search for the end of a period stops 8 days past <c>at</c> (or past the
/// snooze). Only settings that are quiet around the clock for a week, which never end, reach it; then
/// <see cref="QuietStatus.Until"/> is where the search stopped and the reason says to ask again then.</para>
/// </remarks>
public static class QuietHoursCalculator
{
    private static readonly Duration Lookahead = Duration.FromDays(8);

    // The instants `at` may take: far enough inside NodaTime's range that a week of local dates either side maps.
    private static readonly Instant Earliest = Instant.FromUtc(2, 1, 1, 0, 0);
    private static readonly Instant Latest = Instant.FromUtc(9990, 1, 1, 0, 0);

    /// <summary>The user's quiet hours at <paramref name="at"/>, in their time zone (UTC if the zone is unknown).</summary>
    public static QuietStatus At(User user, DateTimeOffset at) =>
        At(user.QuietHours, DateTimeZoneProviders.Tzdb.GetZoneOrNull(user.TimeZone) ?? DateTimeZone.Utc, at);

    /// <summary>Is the user in quiet hours at <paramref name="at"/>, and until when?</summary>
    /// <param name="settings">The user's quiet hours.</param>
    /// <param name="zone">The user's zone, e.g. <c>DateTimeZoneProviders.Tzdb["Europe/Lisbon"]</c>.</param>
    /// <param name="at">The instant to decide for; its offset does not matter. Years 2 to 9989.</param>
    /// <returns>Quiet when <paramref name="at"/> is inside a window occurrence ([start, end): quiet at the
    /// start, not at the end) or before <see cref="QuietHoursSettings.SnoozeUntil"/>. <see cref="QuietStatus.Until"/>
    /// is the end of the whole continuous quiet period, with offset zero.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="at"/> is before year 2 or after 9989.
    /// A snooze may be any instant, <see cref="DateTimeOffset.MaxValue"/> ("until I turn it off") included.</exception>
    public static QuietStatus At(QuietHoursSettings settings, DateTimeZone zone, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(zone);
        var now = ToInstant(at);
        var snooze = ActiveSnooze(settings, now);
        var first = Containing(settings, zone, now);
        if (snooze is null && first is null)
        {
            return new QuietStatus(false, null, settings.Windows.Count == 0 ? "no quiet-hour windows and no snooze" : "outside quiet hours");
        }

        var chain = new List<QuietOccurrence>(2);
        var end = PeriodEnd(settings, zone, now, snooze, first, chain, out var unfinished);
        var inWindow = first is { } f && chain.Count > 0 && chain[0] == f;
        return new QuietStatus(true, end.ToDateTimeOffset(), Describe(zone, snooze, inWindow, chain, end, unfinished));
    }

    /// <summary>Whether <paramref name="priority"/> passes quiet hours: true only when it is in
    /// <see cref="QuietHoursSettings.Allow"/>.</summary>
    /// <remarks>By product rule <see cref="Priority.Critical"/> is not special: a user who wants security
    /// alerts at 03:00 lists <c>critical</c>; one who does not, is not woken. Allow says nothing about
    /// whether it is quiet; ask <see cref="At(QuietHoursSettings, DateTimeZone, DateTimeOffset)"/> for that.</remarks>
    public static bool Allows(QuietHoursSettings settings, Priority priority)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var allow = settings.Allow;
        for (var i = 0; i < allow.Count; i++)
        {
            if (allow[i] == priority) return true;
        }
        return false;
    }

    /// <summary>The quiet period in progress at <paramref name="at"/>, or else the next one to start, for
    /// the console ("next quiet period starts … ends …").</summary>
    /// <returns>(Start, End) with offset zero and Start &lt; End, or null when it is not quiet at
    /// <paramref name="at"/> and no period starts in the next 8 days: in practice, when no window lists a day.
    /// For a period in progress, Start is when it began, found by looking back at most 8 days; a snooze has
    /// no recorded start, so a period that is quiet at <paramref name="at"/> only by snooze starts at
    /// <paramref name="at"/>. End is <see cref="QuietStatus.Until"/> of <see cref="At(QuietHoursSettings, DateTimeZone, DateTimeOffset)"/> at Start.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="at"/> is before year 2 or after 9989.</exception>
    public static (DateTimeOffset Start, DateTimeOffset End)? NextPeriod(QuietHoursSettings settings, DateTimeZone zone, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(zone);
        var now = ToInstant(at);
        var snooze = ActiveSnooze(settings, now);
        var first = Containing(settings, zone, now);
        if (snooze is not null || first is not null)
        {
            var end = PeriodEnd(settings, zone, now, snooze, first, null, out _);
            return (PeriodStart(settings, zone, now).ToDateTimeOffset(), end.ToDateTimeOffset());
        }

        var next = NextStart(settings, zone, now);
        if (next is not { } o) return null;
        var until = PeriodEnd(settings, zone, o.Start, null, o, null, out _);
        return (o.Start.ToDateTimeOffset(), until.ToDateTimeOffset());
    }

    private static Instant ToInstant(DateTimeOffset at)
    {
        var instant = Instant.FromDateTimeOffset(at);
        return instant >= Earliest && instant < Latest ? instant
            : throw new ArgumentOutOfRangeException(nameof(at), at, "quiet hours are computed for instants from year 2 to 9989");
    }

    private static Instant? ActiveSnooze(QuietHoursSettings settings, Instant now) =>
        settings.SnoozeUntil is { } s && Instant.FromDateTimeOffset(s) > now ? Instant.FromDateTimeOffset(s) : null;

    /// <summary>Follows the chain of touching or overlapping occurrences from <paramref name="now"/> to
    /// where quiet stops (or the look-ahead runs out: <paramref name="unfinished"/>).</summary>
    private static Instant PeriodEnd(QuietHoursSettings settings, DateTimeZone zone, Instant now, Instant? snooze,
        QuietOccurrence? first, List<QuietOccurrence>? chain, out bool unfinished)
    {
        var end = snooze ?? now;
        if (first is { } f && f.End > end)
        {
            end = f.End;
            chain?.Add(f);
        }
        unfinished = false;
        if (end >= Latest) return end;  // snoozed "for ever": nothing after it matters
        var limit = (snooze ?? now) + Lookahead;
        while (end <= limit && Containing(settings, zone, end) is { } next)
        {
            end = next.End;
            chain?.Add(next);
        }
        unfinished = end > limit && Containing(settings, zone, end) is not null;
        return end;
    }

    /// <summary>Walks back over occurrences that reach <paramref name="now"/> to where the period began.</summary>
    private static Instant PeriodStart(QuietHoursSettings settings, DateTimeZone zone, Instant now)
    {
        var start = now;
        var limit = now - Lookahead;
        while (start >= limit && EarliestReaching(settings, zone, start) is { } previous)
            start = previous.Start;
        return start;
    }

    /// <summary>The occurrence with Start &lt;= t &lt; End that ends last, or null when t is outside every
    /// window. An occurrence containing t starts on t's local date or the day before; the scan reaches one day
    /// further, like <see cref="EarliestReaching"/>, which needs it when a gap swallows a whole day (Apia skipped
    /// 30 December 2011) and pushes an end onto a later date.</summary>
    private static QuietOccurrence? Containing(QuietHoursSettings settings, DateTimeZone zone, Instant t)
    {
        QuietOccurrence? best = null;
        var date = t.InZone(zone).Date;
        for (var day = date.PlusDays(-2); day <= date; day = day.PlusDays(1))
        {
            for (var i = 0; i < settings.Windows.Count; i++)
            {
                var window = settings.Windows[i];
                if (!QuietWindowMapping.StartsOn(window, day.DayOfWeek)) continue;
                var o = QuietWindowMapping.Map(window, day, zone);
                if (o.Start <= t && t < o.End && (best is null || o.End > best.Value.End)) best = o;
            }
        }
        return best;
    }

    /// <summary>The occurrence with Start &lt; t &lt;= End (it contains t or ends exactly at t) that starts
    /// first, or null.</summary>
    private static QuietOccurrence? EarliestReaching(QuietHoursSettings settings, DateTimeZone zone, Instant t)
    {
        QuietOccurrence? best = null;
        var date = t.InZone(zone).Date;
        for (var day = date.PlusDays(-2); day <= date; day = day.PlusDays(1))
        {
            for (var i = 0; i < settings.Windows.Count; i++)
            {
                var window = settings.Windows[i];
                if (!QuietWindowMapping.StartsOn(window, day.DayOfWeek)) continue;
                var o = QuietWindowMapping.Map(window, day, zone);
                if (o.Start < t && t <= o.End && (best is null || o.Start < best.Value.Start)) best = o;
            }
        }
        return best;
    }

    /// <summary>The non-empty occurrence that starts first after <paramref name="now"/>, within the look-ahead.</summary>
    private static QuietOccurrence? NextStart(QuietHoursSettings settings, DateTimeZone zone, Instant now)
    {
        QuietOccurrence? best = null;
        var limit = now + Lookahead;
        var date = now.InZone(zone).Date;
        for (var day = date.PlusDays(-1); day <= date.PlusDays(8); day = day.PlusDays(1))
        {
            for (var i = 0; i < settings.Windows.Count; i++)
            {
                var window = settings.Windows[i];
                if (!QuietWindowMapping.StartsOn(window, day.DayOfWeek)) continue;
                var o = QuietWindowMapping.Map(window, day, zone);
                if (o.Start > now && o.Start < o.End && o.Start <= limit && (best is null || o.Start < best.Value.Start)) best = o;
            }
        }
        return best;
    }

    /// <summary>"snoozed, then quiet hours sat 22:00-07:00 (Europe/Lisbon) until 2026-03-29T06:00:00Z".</summary>
    private static string Describe(DateTimeZone zone, Instant? snooze, bool inWindow, List<QuietOccurrence> chain, Instant end, bool unfinished)
    {
        const int MaxNamed = 4;
        var text = new StringBuilder();
        if (snooze is not null) text.Append(chain.Count == 0 ? "snoozed" : inWindow ? "snoozed and in " : "snoozed, then ");
        if (chain.Count > 0)
        {
            text.Append("quiet hours ");
            for (var i = 0; i < chain.Count && i < MaxNamed; i++)
                text.Append(i == 0 ? "" : " then ").Append(QuietWindowMapping.Describe(chain[i]));
            if (chain.Count > MaxNamed) text.Append(" and ").Append(chain.Count - MaxNamed).Append(" more");
            text.Append(" (").Append(zone.Id).Append(')');
        }
        text.Append(" until ").Append(QuietWindowMapping.Format(end));
        if (unfinished) text.Append(" and still quiet then (looked 8 days ahead); ask again at that time");
        return text.ToString();
    }
}
