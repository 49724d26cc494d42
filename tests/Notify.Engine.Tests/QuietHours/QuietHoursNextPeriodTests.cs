using Notify.Engine.QuietHours;
using static Notify.Engine.Tests.QuietHours.QuietHoursTestData;

namespace Notify.Engine.Tests.QuietHours;

/// <summary>The console's "next quiet period starts … ends …". 2026-06-01 is a Monday; the zone is UTC.</summary>
public class QuietHoursNextPeriodTests
{
    private static readonly QuietWindow MondayNight = W("mon", "22:00", "07:00");

    [Fact]
    public void NextPeriod_BeforeAWindow_IsThatWindow() =>
        Assert.Equal((T("2026-06-01T22:00Z"), T("2026-06-02T07:00Z")),
            QuietHoursCalculator.NextPeriod(Settings(MondayNight), Utc, T("2026-06-01T12:00Z")));

    [Fact]
    public void NextPeriod_InsideAWindow_IsTheCurrentPeriodFromItsStart() =>
        Assert.Equal((T("2026-06-01T22:00Z"), T("2026-06-02T07:00Z")),
            QuietHoursCalculator.NextPeriod(Settings(MondayNight), Utc, T("2026-06-02T03:00Z")));

    [Fact]
    public void NextPeriod_AtTheEndOfAWindow_IsNextWeeks() =>
        Assert.Equal((T("2026-06-08T22:00Z"), T("2026-06-09T07:00Z")),
            QuietHoursCalculator.NextPeriod(Settings(MondayNight), Utc, T("2026-06-02T07:00Z")));

    [Fact]
    public void NextPeriod_SeveralWindows_IsTheEarliest() =>
        Assert.Equal((T("2026-06-02T12:00Z"), T("2026-06-02T13:00Z")),
            QuietHoursCalculator.NextPeriod(Settings(W("wed", "22:00", "07:00"), W("tue", "12:00", "13:00")), Utc, T("2026-06-01T12:00Z")));

    [Fact]
    public void NextPeriod_TouchingWindows_AreOnePeriod() =>
        Assert.Equal((T("2026-06-01T22:00Z"), T("2026-06-02T09:00Z")),
            QuietHoursCalculator.NextPeriod(Settings(MondayNight, W("tue", "07:00", "09:00")), Utc, T("2026-06-01T12:00Z")));

    [Fact]
    public void NextPeriod_InsideTheSecondOfTouchingWindows_StartsAtTheFirst() =>
        Assert.Equal((T("2026-06-01T22:00Z"), T("2026-06-02T09:00Z")),
            QuietHoursCalculator.NextPeriod(Settings(MondayNight, W("tue", "07:00", "09:00")), Utc, T("2026-06-02T08:00Z")));

    [Fact]
    public void NextPeriod_SnoozeOnly_StartsNowAndEndsWithTheSnooze() =>
        Assert.Equal((T("2026-06-01T12:00Z"), T("2026-06-01T15:00Z")),
            QuietHoursCalculator.NextPeriod(Snoozed(T("2026-06-01T15:00Z")), Utc, T("2026-06-01T12:00Z")));

    [Fact]
    public void NextPeriod_SnoozeRunningIntoAWindow_EndsWithTheWindow() =>
        Assert.Equal((T("2026-06-01T20:00Z"), T("2026-06-02T07:00Z")),
            QuietHoursCalculator.NextPeriod(Snoozed(T("2026-06-01T23:00Z"), MondayNight), Utc, T("2026-06-01T20:00Z")));

    [Fact]
    public void NextPeriod_WindowSixDaysAway_IsFound() =>
        Assert.Equal((T("2026-06-08T22:00Z"), T("2026-06-09T07:00Z")),
            QuietHoursCalculator.NextPeriod(Settings(MondayNight), Utc, T("2026-06-02T12:00Z")));

    [Fact]
    public void NextPeriod_NoWindowsAndNoSnooze_IsNull()
    {
        Assert.Null(QuietHoursCalculator.NextPeriod(QuietHoursSettings.None, Lisbon, T("2026-06-01T12:00Z")));
        Assert.Null(QuietHoursCalculator.NextPeriod(Snoozed(T("2026-06-01T11:00Z")), Lisbon, T("2026-06-01T12:00Z")));
    }

    [Fact]
    public void NextPeriod_WindowWithNoDays_IsNull() =>
        Assert.Null(QuietHoursCalculator.NextPeriod(Settings(new QuietWindow([], MondayNight.From, MondayNight.To)), Utc, T("2026-06-01T12:00Z")));
}
