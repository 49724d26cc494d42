using Notify.Engine.QuietHours;
using NodaTime;
using NodaTime.Text;

namespace Notify.Engine.Tests.QuietHours;

/// <summary>
/// Invariants over many random settings and instants, drawn from a seeded <see cref="Random"/> so a failure
/// replays (the message names the case). Instants cluster around daylight-saving changes, including odd
/// ones: Lord Howe's 30-minute shift, São Paulo's old midnight changes, and Apia skipping 30 December 2011.
/// </summary>
public class QuietHoursPropertyTests
{
    private const int Cases = 3000;

    private static readonly DateTimeZone[] Zones = [.. new[]
    {
        "Europe/Lisbon", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "America/Sao_Paulo",
        "Pacific/Apia", "America/St_Johns", "Asia/Kolkata", "UTC",
    }.Select(id => DateTimeZoneProviders.Tzdb[id])];

    private static readonly Duration Lookahead = Duration.FromDays(8);

    [Fact]
    public void At_WhenQuiet_UntilIsTheRealEndOfTheQuiet()
    {
        var random = new Random(20260329);
        var checkedCases = 0;
        for (var i = 0; i < Cases; i++)
        {
            var (settings, zone, at) = Draw(random);
            var status = QuietHoursCalculator.At(settings, zone, at);
            if (!status.IsQuiet || status.Until - at > Lookahead.ToTimeSpan()) continue;
            checkedCases++;
            var until = status.Until!.Value;
            var what = Describe(i, settings, zone, at);

            Assert.True(until > at, $"Until {until:o} is not after at; {what}");
            var justBefore = QuietHoursCalculator.At(settings, zone, until.AddTicks(-1));
            Assert.True(justBefore.IsQuiet, $"not quiet just before Until {until:o}; {what}");
            Assert.Equal(until, justBefore.Until);
            Assert.False(QuietHoursCalculator.At(settings, zone, until).IsQuiet, $"still quiet at Until {until:o}; {what}");

            // Anywhere in between is quiet with the same end: no hole in the period.
            var between = at.AddTicks((long)(random.NextDouble() * (until - at).Ticks));
            var middle = QuietHoursCalculator.At(settings, zone, between);
            Assert.True(middle.IsQuiet && middle.Until == until, $"at {between:o} quiet={middle.IsQuiet} until={middle.Until:o}, expected until {until:o}; {what}");
        }
        Assert.True(checkedCases > Cases / 5, $"only {checkedCases} quiet cases drawn");
    }

    [Fact]
    public void At_WhenTheClockReadsInsideAWindow_IsQuiet()
    {
        var random = new Random(20261025);
        var checkedCases = 0;
        for (var i = 0; i < Cases; i++)
        {
            var (settings, zone, at) = Draw(random);
            if (!ClockReadsInside(settings, zone, Instant.FromDateTimeOffset(at))) continue;
            checkedCases++;
            Assert.True(QuietHoursCalculator.At(settings, zone, at).IsQuiet, Describe(i, settings, zone, at));
        }
        Assert.True(checkedCases > Cases / 5, $"only {checkedCases} cases inside a window drawn");
    }

    [Fact]
    public void At_AwayFromOffsetChanges_IsExactlyTheClockReadingOrTheSnooze()
    {
        var random = new Random(20260308);
        var checkedCases = 0;
        for (var i = 0; i < Cases; i++)
        {
            var (settings, zone, at) = Draw(random);
            var instant = Instant.FromDateTimeOffset(at);
            if (zone.GetZoneIntervals(instant - Duration.FromDays(3), instant + Duration.FromDays(1)).Count() != 1) continue;
            checkedCases++;
            var expected = ClockReadsInside(settings, zone, instant) || settings.SnoozeUntil > at;
            Assert.True(expected == QuietHoursCalculator.At(settings, zone, at).IsQuiet, Describe(i, settings, zone, at));
        }
        Assert.True(checkedCases > Cases / 5, $"only {checkedCases} cases away from offset changes drawn");
    }

    [Fact]
    public void NextPeriod_StartsBeforeItEndsAndAgreesWithAt()
    {
        var random = new Random(20261101);
        for (var i = 0; i < Cases; i++)
        {
            var (settings, zone, at) = Draw(random);
            var what = Describe(i, settings, zone, at);
            var period = QuietHoursCalculator.NextPeriod(settings, zone, at);
            var now = QuietHoursCalculator.At(settings, zone, at);
            if (period is not var (start, end))
            {
                Assert.False(now.IsQuiet, what);
                Assert.DoesNotContain(settings.Windows, w => w.Days.Count > 0);
                continue;
            }

            Assert.True(start < end, $"start {start:o} is not before end {end:o}; {what}");
            if (now.IsQuiet)
            {
                Assert.True(start <= at && end == now.Until, $"in progress: ({start:o}, {end:o}), At until {now.Until:o}; {what}");
                continue;
            }
            Assert.True(start > at && start - at <= Lookahead.ToTimeSpan(), $"next start {start:o}; {what}");
            var atStart = QuietHoursCalculator.At(settings, zone, start);
            Assert.True(atStart.IsQuiet && atStart.Until == end, $"at start: quiet={atStart.IsQuiet} until={atStart.Until:o}, expected {end:o}; {what}");
            Assert.False(QuietHoursCalculator.At(settings, zone, start.AddTicks(-1)).IsQuiet, $"quiet before the next start {start:o}; {what}");
            var before = at.AddTicks((long)(random.NextDouble() * (start - at).Ticks));
            Assert.False(QuietHoursCalculator.At(settings, zone, before).IsQuiet, $"quiet at {before:o}, before the next start {start:o}; {what}");
        }
    }

    /// <summary>The plain reading of a window: the local clock shows a time from its start to its end.</summary>
    private static bool ClockReadsInside(QuietHoursSettings settings, DateTimeZone zone, Instant instant)
    {
        var reading = instant.InZone(zone).LocalDateTime;
        for (var day = reading.Date.PlusDays(-1); day <= reading.Date; day = day.PlusDays(1))
        {
            foreach (var w in settings.Windows)
            {
                if (!w.Days.Contains(day.DayOfWeek)) continue;
                var end = (w.To <= w.From ? day.PlusDays(1) : day).At(w.To);
                if (day.At(w.From) <= reading && reading < end) return true;
            }
        }
        return false;
    }

    /// <summary>A third of the time: random windows at a random instant in 2011-2026. Otherwise aimed at one of
    /// the zone's offset changes: window edges at the local times around it (inside the gap or the overlap
    /// included), on the change's day or the day before, and an instant within three hours of it, often on
    /// a half hour or a tick away from one.</summary>
    private static (QuietHoursSettings Settings, DateTimeZone Zone, DateTimeOffset At) Draw(Random random)
    {
        var zone = Zones[random.Next(Zones.Length)];
        var first = NodaTime.Instant.FromUtc(2011, 1, 1, 0, 0);
        var last = NodaTime.Instant.FromUtc(2027, 1, 1, 0, 0);
        var changes = zone.GetZoneIntervals(first, last).Skip(1).Select(z => z.Start).ToList();
        Instant at;
        var hotTimes = new List<LocalTime>();
        var hotDays = new List<IsoDayOfWeek>();
        if (changes.Count == 0 || random.Next(3) == 0)
        {
            at = first + Duration.FromSeconds(random.NextInt64((long)(last - first).TotalSeconds));
        }
        else
        {
            var change = changes[random.Next(changes.Count)];
            foreach (var offset in new[] { zone.GetUtcOffset(change - Duration.Epsilon), zone.GetUtcOffset(change) })
            {
                var local = change.WithOffset(offset).LocalDateTime;
                hotDays.Add(local.DayOfWeek);
                hotDays.Add(local.Date.PlusDays(-1).DayOfWeek);
                for (var minutes = -60; minutes <= 60; minutes += 30) hotTimes.Add(local.PlusMinutes(minutes).TimeOfDay);
            }
            var nearby = change + Duration.FromMinutes(30 * random.Next(-6, 7));
            at = random.Next(3) switch
            {
                0 => nearby,
                1 => nearby + Duration.FromTicks(random.Next(2) == 0 ? -1 : 1),
                _ => nearby + Duration.FromSeconds(random.Next(1800)),
            };
        }

        LocalTime Time() => hotTimes.Count > 0 && random.Next(3) != 0 ? hotTimes[random.Next(hotTimes.Count)]
            : random.Next(3) == 0 ? LocalTime.FromMinutesSinceMidnight(random.Next(24 * 60))
            : LocalTime.FromMinutesSinceMidnight(30 * random.Next(48));

        var windows = new QuietWindow[random.Next(0, 5)];
        for (var i = 0; i < windows.Length; i++)
        {
            var days = Enumerable.Range(1, 7).Where(_ => random.Next(3) == 0).Select(d => (IsoDayOfWeek)d).ToList();
            if (hotDays.Count > 0 && random.Next(3) != 0) days.Add(hotDays[random.Next(hotDays.Count)]);
            var from = Time();
            windows[i] = new QuietWindow(days, from, random.Next(8) == 0 ? from : Time());
        }

        DateTimeOffset? snooze = random.Next(4) == 0 ? (at + Duration.FromMinutes(random.Next(-600, 1800))).ToDateTimeOffset() : null;
        return (new QuietHoursSettings(windows, snooze, []), zone, at.ToDateTimeOffset());
    }

    private static string Describe(int i, QuietHoursSettings settings, DateTimeZone zone, DateTimeOffset at)
    {
        var hm = LocalTimePattern.CreateWithInvariantCulture("HH:mm");
        var windows = string.Join("; ", settings.Windows.Select(w => $"[{string.Join(",", w.Days)}] {hm.Format(w.From)}-{hm.Format(w.To)}"));
        return $"case {i}: zone {zone.Id}, at {at:o}, snooze {settings.SnoozeUntil:o}, windows {windows}";
    }
}
