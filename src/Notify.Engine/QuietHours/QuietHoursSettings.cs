using Notify.Engine.Model;
using NodaTime;

namespace Notify.Engine.QuietHours;

/// <summary>
/// A user's quiet hours, as <c>PUT /v1/users/{id}/quiet-hours</c> gives them: weekly windows in the user's
/// own time zone, a one-off snooze, and the priorities that may pass anyway.
/// </summary>
/// <remarks>
/// <para>The settings hold no zone on purpose: the windows are wall-clock times and only mean something
/// together with the user's IANA zone, which the calculator takes separately so that a user who moves
/// keeps the same "22:00 to 07:00".</para>
/// <para>Build from the wire form with <see cref="QuietHoursParser.TryParse"/>, which validates it. Record
/// equality compares the lists by reference, not by content.</para>
/// </remarks>
/// <param name="Windows">The recurring windows; empty means no recurring quiet hours. Windows may touch
/// or overlap each other: the calculator treats quiet time as one continuous period.</param>
/// <param name="SnoozeUntil">Quiet regardless of the windows until this instant (a "do not disturb for an
/// hour"); null, or an instant already past, means no snooze.</param>
/// <param name="Allow">The priorities that pass quiet hours. <see cref="Priority.Critical"/> is no
/// exception: it passes only if it is listed here.</param>
public sealed record QuietHoursSettings(IReadOnlyList<QuietWindow> Windows, DateTimeOffset? SnoozeUntil, IReadOnlyList<Priority> Allow)
{
    /// <summary>No windows, no snooze, nothing allowed: never quiet. The default for a user who never
    /// set quiet hours.</summary>
    public static readonly QuietHoursSettings None = new([], null, []);
}

/// <summary>
/// A recurring quiet window in local (wall-clock) time: "every <paramref name="Days"/> from
/// <paramref name="From"/> to <paramref name="To"/>".
/// </summary>
/// <remarks>
/// <para><b>Days are the days the window starts on.</b> A window <c>fri 22:00-07:00</c> covers Friday
/// night and Saturday until 07:00, but a <c>sat</c> window never starts on Friday.</para>
/// <para><b>Length.</b> <paramref name="To"/> later than <paramref name="From"/> is a same-day window.
/// <paramref name="To"/> earlier than <paramref name="From"/> runs overnight and ends on the next day
/// (<c>22:00-07:00</c>; <c>22:00-00:00</c> ends at midnight). <paramref name="To"/> equal to
/// <paramref name="From"/> means the whole 24 hours from <paramref name="From"/>.</para>
/// <para><b>Daylight saving.</b> The window follows the clock, not a fixed duration: <c>22:00-07:00</c>
/// lasts 8 hours on a spring-forward night and 10 on a fall-back night. How a start or end that falls in
/// a gap or an overlap maps to an instant is described on <see cref="QuietHoursCalculator"/>.</para>
/// </remarks>
/// <param name="Days">The days the window starts on (<see cref="IsoDayOfWeek.Monday"/> to
/// <see cref="IsoDayOfWeek.Sunday"/>); duplicates are harmless, <see cref="IsoDayOfWeek.None"/> is ignored.</param>
/// <param name="From">Local start time (inclusive).</param>
/// <param name="To">Local end time (exclusive), on the next day when it is not after <paramref name="From"/>.</param>
public sealed record QuietWindow(IReadOnlyList<IsoDayOfWeek> Days, LocalTime From, LocalTime To);

/// <summary>Whether a user is in quiet hours at an instant, and for how long.</summary>
/// <param name="IsQuiet">True inside a window or a snooze.</param>
/// <param name="Until">When <paramref name="IsQuiet"/>: the instant (offset zero) the whole continuous
/// quiet period ends, the moment a held notification may go out. Windows that touch or overlap, and a
/// snooze that runs into a window, count as one period. Null when not quiet.</param>
/// <param name="Reason">Human-readable, for the decision trace: what makes it quiet and until when, e.g.
/// <c>quiet hours sun 22:00-07:00 (Europe/Lisbon) until 2026-03-30T06:00:00Z</c>.</param>
public sealed record QuietStatus(bool IsQuiet, DateTimeOffset? Until, string Reason);
