using Notify.Engine.QuietHours;
using NodaTime;
using static Notify.Engine.Tests.QuietHours.QuietHoursTestData;

namespace Notify.Engine.Tests.QuietHours;

/// <summary>
/// Both daylight-saving changes of 2026 in three zones. Spring forward (a gap): Lisbon Sun 29 March at
/// 01:00Z (01:00 WET to 02:00 WEST), New York Sun 8 March at 07:00Z (02:00 EST to 03:00 EDT), Sydney
/// Sun 4 October at 16:00Z on the 3rd (02:00 AEST to 03:00 AEDT). Fall back (an overlap): Lisbon Sun 25
/// October at 01:00Z (02:00 WEST to 01:00 WET), New York Sun 1 November at 06:00Z (02:00 EDT to 01:00 EST),
/// Sydney Sun 5 April at 16:00Z on the 4th (03:00 AEDT to 02:00 AEST).
/// </summary>
public class QuietHoursDaylightSavingTests
{
    private static DateTimeZone Zone(string id) => DateTimeZoneProviders.Tzdb[id];

    // A Saturday-night window across each change: it ends at 07:00 on the local clock, so it is 8 hours
    // long in spring and 10 in autumn, and the hold is released at the real local 07:00.
    [Theory]
    [InlineData("Europe/Lisbon", "2026-03-28T12:00Z", "2026-03-28T22:00Z", "2026-03-29T06:00Z", 8)]
    [InlineData("Europe/Lisbon", "2026-10-24T12:00Z", "2026-10-24T21:00Z", "2026-10-25T07:00Z", 10)]
    [InlineData("America/New_York", "2026-03-07T12:00Z", "2026-03-08T03:00Z", "2026-03-08T11:00Z", 8)]
    [InlineData("America/New_York", "2026-10-31T12:00Z", "2026-11-01T02:00Z", "2026-11-01T12:00Z", 10)]
    [InlineData("Australia/Sydney", "2026-10-03T00:00Z", "2026-10-03T12:00Z", "2026-10-03T20:00Z", 8)]
    [InlineData("Australia/Sydney", "2026-04-04T00:00Z", "2026-04-04T11:00Z", "2026-04-04T21:00Z", 10)]
    public void NextPeriod_OvernightWindowAcrossTheChange_EndsAtTheLocalEndTime(string zone, string at, string start, string end, int hours)
    {
        var period = QuietHoursCalculator.NextPeriod(Settings(W("sat", "22:00", "07:00")), Zone(zone), T(at));

        Assert.Equal((T(start), T(end)), period);
        Assert.Equal(TimeSpan.FromHours(hours), period!.Value.End - period.Value.Start);
    }

    [Theory]
    [InlineData("Europe/Lisbon", "2026-03-29T05:59Z", "2026-03-29T06:00Z")]
    [InlineData("America/New_York", "2026-03-08T10:30Z", "2026-03-08T11:00Z")]
    [InlineData("Australia/Sydney", "2026-04-04T20:59Z", "2026-04-04T21:00Z")]
    public void At_LateInAWindowAcrossTheChange_UntilIsTheLocalEndTime(string zone, string at, string until)
    {
        var settings = Settings(W("sat", "22:00", "07:00"));

        Assert.Equal(T(until), QuietHoursCalculator.At(settings, Zone(zone), T(at)).Until);
        Assert.False(QuietHoursCalculator.At(settings, Zone(zone), T(until)).IsQuiet);
    }

    [Fact]
    public void At_LisbonSpringChange_ReasonShowsTheRealEnd() =>
        Assert.Equal("quiet hours sat 22:00-07:00 (Europe/Lisbon) until 2026-03-29T06:00:00Z",
            QuietHoursCalculator.At(Settings(W("sat", "22:00", "07:00")), Lisbon, T("2026-03-29T03:00Z")).Reason);

    // A start that falls in the gap begins when the clock jumps.
    [Theory]
    [InlineData("Europe/Lisbon", "sun", "01:30", "06:00", "2026-03-29T01:00Z", "2026-03-29T05:00Z")]
    [InlineData("America/New_York", "sun", "02:30", "06:00", "2026-03-08T07:00Z", "2026-03-08T10:00Z")]
    [InlineData("Australia/Sydney", "sun", "02:30", "06:00", "2026-10-03T16:00Z", "2026-10-03T19:00Z")]
    public void At_WindowStartInTheGap_StartsAtTheJump(string zone, string days, string from, string to, string jump, string end)
    {
        var settings = Settings(W(days, from, to));

        Assert.False(QuietHoursCalculator.At(settings, Zone(zone), T(jump).AddTicks(-1)).IsQuiet);
        var status = QuietHoursCalculator.At(settings, Zone(zone), T(jump));
        Assert.True(status.IsQuiet);
        Assert.Equal(T(end), status.Until);
    }

    // An end that falls in the gap ends when the clock jumps.
    [Theory]
    [InlineData("Europe/Lisbon", "01:30", "2026-03-28T23:30Z", "2026-03-29T01:00Z")]
    [InlineData("America/New_York", "02:30", "2026-03-08T05:00Z", "2026-03-08T07:00Z")]
    [InlineData("Australia/Sydney", "02:30", "2026-10-03T15:00Z", "2026-10-03T16:00Z")]
    public void At_WindowEndInTheGap_EndsAtTheJump(string zone, string to, string at, string jump)
    {
        var settings = Settings(W("sat", "23:00", to));

        Assert.Equal(T(jump), QuietHoursCalculator.At(settings, Zone(zone), T(at)).Until);
        Assert.False(QuietHoursCalculator.At(settings, Zone(zone), T(jump)).IsQuiet);
    }

    [Fact]
    public void At_WindowEntirelyInTheGap_IsEmptyThatNight()
    {
        var settings = Settings(W("sun", "02:10", "02:40"));

        Assert.False(QuietHoursCalculator.At(settings, NewYork, T("2026-03-08T07:00Z")).IsQuiet);
        Assert.Equal((T("2026-03-15T06:10Z"), T("2026-03-15T06:40Z")), QuietHoursCalculator.NextPeriod(settings, NewYork, T("2026-03-08T00:00Z")));
    }

    [Fact]
    public void At_WindowsTouchingInTheGap_StayOnePeriod()
    {
        // sat 23:00-02:30 ends at the jump and sun 02:30-06:00 starts at it: one night of quiet.
        var settings = Settings(W("sat", "23:00", "02:30"), W("sun", "02:30", "06:00"));

        Assert.Equal(T("2026-03-08T10:00Z"), QuietHoursCalculator.At(settings, NewYork, T("2026-03-08T05:00Z")).Until);
    }

    // An end that the clock shows twice ends at the later one: nothing arrives while the clock reads
    // 01:00-01:30 a second time.
    [Theory]
    [InlineData("Europe/Lisbon", "01:30", "2026-10-25T01:15Z", "2026-10-25T01:30Z")]       // 01:15 WET, second pass
    [InlineData("Europe/Lisbon", "01:30", "2026-10-25T00:45Z", "2026-10-25T01:30Z")]       // 01:45 WEST, between the two 01:30s
    [InlineData("America/New_York", "01:30", "2026-11-01T06:15Z", "2026-11-01T06:30Z")]    // 01:15 EST
    [InlineData("Australia/Sydney", "02:30", "2026-04-04T16:15Z", "2026-04-04T16:30Z")]    // 02:15 AEST
    public void At_WindowEndInTheOverlap_EndsAtTheLaterOccurrence(string zone, string to, string at, string end)
    {
        var settings = Settings(W("sat", "22:00", to));

        Assert.Equal(T(end), QuietHoursCalculator.At(settings, Zone(zone), T(at)).Until);
        Assert.False(QuietHoursCalculator.At(settings, Zone(zone), T(end)).IsQuiet);
    }

    // A start that the clock shows twice starts at the earlier one.
    [Theory]
    [InlineData("Europe/Lisbon", "2026-10-25T00:30Z", "2026-10-25T03:00Z")]     // 01:30 WEST; ends 03:00 WET
    [InlineData("America/New_York", "2026-11-01T05:30Z", "2026-11-01T08:00Z")]  // 01:30 EDT; ends 03:00 EST
    public void At_WindowStartInTheOverlap_StartsAtTheEarlierOccurrence(string zone, string start, string end)
    {
        var settings = Settings(W("sun", "01:30", "03:00"));

        Assert.False(QuietHoursCalculator.At(settings, Zone(zone), T(start).AddTicks(-1)).IsQuiet);
        Assert.Equal(T(end), QuietHoursCalculator.At(settings, Zone(zone), T(start)).Until);
        Assert.True(QuietHoursCalculator.At(settings, Zone(zone), T(start).AddMinutes(45)).IsQuiet);  // the clock went back to 01:15
    }

    [Fact]
    public void At_WholeDayWindowOnChangeDays_IsAsLongAsTheLocalDay()
    {
        var settings = Settings(W("sun", "00:00", "00:00"));

        Assert.Equal((T("2026-03-29T00:00Z"), T("2026-03-29T23:00Z")), QuietHoursCalculator.NextPeriod(settings, Lisbon, T("2026-03-28T12:00Z")));
        Assert.Equal((T("2026-10-24T23:00Z"), T("2026-10-26T00:00Z")), QuietHoursCalculator.NextPeriod(settings, Lisbon, T("2026-10-24T12:00Z")));
    }
}
