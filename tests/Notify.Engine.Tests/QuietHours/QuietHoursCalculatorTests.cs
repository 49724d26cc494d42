using Notify.Engine.QuietHours;
using static Notify.Engine.Tests.QuietHours.QuietHoursTestData;

namespace Notify.Engine.Tests.QuietHours;

/// <summary>Windows away from daylight-saving changes: 2026-06-01 is a Monday; the zone is UTC unless said.</summary>
public class QuietHoursCalculatorTests
{
    [Fact]
    public void At_InsideSameDayWindow_IsQuietUntilItsEnd()
    {
        var status = QuietHoursCalculator.At(Settings(W("mon", "09:00", "17:00")), Utc, T("2026-06-01T12:00Z"));

        Assert.True(status.IsQuiet);
        Assert.Equal(T("2026-06-01T17:00Z"), status.Until);
    }

    [Theory]
    [InlineData("2026-06-01T09:00Z", true)]   // the start is inside
    [InlineData("2026-06-01T08:59Z", false)]
    [InlineData("2026-06-01T17:00Z", false)]  // the end is not
    [InlineData("2026-06-02T12:00Z", false)]  // Tuesday is not listed
    public void At_SameDayWindowEdges_StartInsideEndOutside(string at, bool quiet) =>
        Assert.Equal(quiet, QuietHoursCalculator.At(Settings(W("mon", "09:00", "17:00")), Utc, T(at)).IsQuiet);

    [Theory]
    [InlineData("2026-06-01T23:00Z")]  // Monday night, before midnight
    [InlineData("2026-06-02T03:00Z")]  // Tuesday, after midnight
    public void At_InsideOvernightWindow_IsQuietUntilNextMorning(string at)
    {
        var status = QuietHoursCalculator.At(Settings(W("mon", "22:00", "07:00")), Utc, T(at));

        Assert.True(status.IsQuiet);
        Assert.Equal(T("2026-06-02T07:00Z"), status.Until);
    }

    [Theory]
    [InlineData("2026-06-01T21:59Z")]
    [InlineData("2026-06-02T07:00Z")]
    [InlineData("2026-06-02T12:00Z")]
    [InlineData("2026-06-01T03:00Z")]  // Monday morning belongs to a Sunday window, and there is none
    public void At_OutsideOvernightWindow_IsNotQuiet(string at)
    {
        var status = QuietHoursCalculator.At(Settings(W("mon", "22:00", "07:00")), Utc, T(at));

        Assert.False(status.IsQuiet);
        Assert.Null(status.Until);
        Assert.Equal("outside quiet hours", status.Reason);
    }

    [Fact]
    public void At_FridayOvernightWindow_CoversSaturdayMorning() =>
        Assert.True(QuietHoursCalculator.At(Settings(W("fri", "22:00", "07:00")), Utc, T("2026-06-06T03:00Z")).IsQuiet);

    [Theory]
    [InlineData("2026-06-05T23:00Z", false)]  // Friday night: a sat window does not start on Friday
    [InlineData("2026-06-06T03:00Z", false)]  // Saturday morning belongs to Friday's night
    [InlineData("2026-06-06T23:00Z", true)]
    [InlineData("2026-06-07T03:00Z", true)]   // Sunday morning, still Saturday's night
    public void At_SaturdayOvernightWindow_StartsOnSaturdayOnly(string at, bool quiet) =>
        Assert.Equal(quiet, QuietHoursCalculator.At(Settings(W("sat", "22:00", "07:00")), Utc, T(at)).IsQuiet);

    [Theory]
    [InlineData("2026-06-03T00:00Z")]
    [InlineData("2026-06-03T23:59Z")]
    public void At_WholeDayWindow_IsQuietForTheTwentyFourHours(string at) =>
        Assert.Equal(T("2026-06-04T00:00Z"), QuietHoursCalculator.At(Settings(W("wed", "00:00", "00:00")), Utc, T(at)).Until);

    [Fact]
    public void At_WholeDayWindowFromNoon_EndsNextNoon()
    {
        var settings = Settings(W("wed", "12:00", "12:00"));

        Assert.Equal(T("2026-06-04T12:00Z"), QuietHoursCalculator.At(settings, Utc, T("2026-06-04T06:00Z")).Until);
        Assert.False(QuietHoursCalculator.At(settings, Utc, T("2026-06-04T12:00Z")).IsQuiet);
    }

    [Fact]
    public void At_WindowEndingAtMidnight_EndsAtTheNextDaysStart() =>
        Assert.Equal(T("2026-06-02T00:00Z"), QuietHoursCalculator.At(Settings(W("mon", "22:00", "00:00")), Utc, T("2026-06-01T23:00Z")).Until);

    [Fact]
    public void At_TouchingWindows_AreOnePeriod()
    {
        var status = QuietHoursCalculator.At(Settings(W("mon", "22:00", "07:00"), W("tue", "07:00", "09:00")), Utc, T("2026-06-01T23:00Z"));

        Assert.Equal(T("2026-06-02T09:00Z"), status.Until);
        Assert.Equal("quiet hours mon 22:00-07:00 then tue 07:00-09:00 (UTC) until 2026-06-02T09:00:00Z", status.Reason);
    }

    [Fact]
    public void At_OverlappingWindows_AreOnePeriod() =>
        Assert.Equal(T("2026-06-02T09:00Z"),
            QuietHoursCalculator.At(Settings(W("mon", "22:00", "07:00"), W("tue", "06:00", "09:00")), Utc, T("2026-06-01T23:00Z")).Until);

    [Fact]
    public void At_WindowInsideAnother_DoesNotShortenIt() =>
        Assert.Equal(T("2026-06-02T07:00Z"),
            QuietHoursCalculator.At(Settings(W("mon", "22:00", "07:00"), W("mon", "23:00", "23:30")), Utc, T("2026-06-01T23:10Z")).Until);

    [Fact]
    public void At_ConsecutiveWholeDays_UntilTheEndOfTheLast() =>
        Assert.Equal(T("2026-06-04T00:00Z"),
            QuietHoursCalculator.At(Settings(W("mon,tue,wed", "00:00", "00:00")), Utc, T("2026-06-01T10:00Z")).Until);

    [Fact]
    public void At_QuietAroundTheClock_StopsLookingAfterEightDaysAndSaysSo()
    {
        var at = T("2026-06-01T10:00Z");

        var status = QuietHoursCalculator.At(Settings(W("mon,tue,wed,thu,fri,sat,sun", "00:00", "00:00")), Utc, at);

        Assert.True(status.IsQuiet);
        Assert.InRange(status.Until!.Value, at.AddDays(8), at.AddDays(10));
        Assert.Contains("ask again", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void At_NoWindows_IsNotQuiet()
    {
        var status = QuietHoursCalculator.At(QuietHoursSettings.None, Lisbon, T("2026-06-01T23:00Z"));

        Assert.False(status.IsQuiet);
        Assert.Equal("no quiet-hour windows and no snooze", status.Reason);
    }

    [Fact]
    public void At_UserZone_WindowsAreLocalAndReasonNamesTheZone()
    {
        // Lisbon is UTC+1 in June: Monday 22:00 local is 21:00Z.
        var status = QuietHoursCalculator.At(Settings(W("mon", "22:00", "07:00")), Lisbon, T("2026-06-01T21:30Z"));

        Assert.True(status.IsQuiet);
        Assert.Equal(T("2026-06-02T06:00Z"), status.Until);
        Assert.Equal("quiet hours mon 22:00-07:00 (Europe/Lisbon) until 2026-06-02T06:00:00Z", status.Reason);
    }

    [Fact]
    public void At_OffsetOfTheInput_DoesNotMatterAndUntilIsUtc()
    {
        var status = QuietHoursCalculator.At(Settings(W("mon", "22:00", "07:00")), Lisbon, T("2026-06-02T01:30+04:00"));

        Assert.True(status.IsQuiet);
        Assert.Equal(TimeSpan.Zero, status.Until!.Value.Offset);
        Assert.Equal(T("2026-06-02T06:00Z"), status.Until);
    }

    [Fact]
    public void At_InstantAtTheEdgeOfTime_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QuietHoursCalculator.At(Settings(W("mon", "22:00", "07:00")), Lisbon, DateTimeOffset.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => QuietHoursCalculator.NextPeriod(Settings(W("mon", "22:00", "07:00")), Lisbon, DateTimeOffset.MinValue));
    }
}
