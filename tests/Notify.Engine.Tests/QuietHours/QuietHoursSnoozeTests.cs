using Notify.Engine.QuietHours;
using static Notify.Engine.Tests.QuietHours.QuietHoursTestData;

namespace Notify.Engine.Tests.QuietHours;

/// <summary>The one-off snooze, alone and next to windows. 2026-06-01 is a Monday; the zone is UTC.</summary>
public class QuietHoursSnoozeTests
{
    private static readonly QuietWindow MondayNight = W("mon", "22:00", "07:00");

    [Fact]
    public void At_SnoozeAlone_IsQuietUntilTheSnoozeEnds()
    {
        var status = QuietHoursCalculator.At(Snoozed(T("2026-06-01T15:00Z")), Utc, T("2026-06-01T14:00Z"));

        Assert.True(status.IsQuiet);
        Assert.Equal(T("2026-06-01T15:00Z"), status.Until);
        Assert.Equal("snoozed until 2026-06-01T15:00:00Z", status.Reason);
    }

    [Theory]
    [InlineData("2026-06-01T15:00Z")]  // the snooze end itself
    [InlineData("2026-06-01T16:00Z")]
    public void At_SnoozeOver_IsNotQuiet(string at) =>
        Assert.False(QuietHoursCalculator.At(Snoozed(T("2026-06-01T15:00Z")), Utc, T(at)).IsQuiet);

    [Fact]
    public void At_SnoozeRunningIntoWindow_UntilIsTheWindowEnd()
    {
        var status = QuietHoursCalculator.At(Snoozed(T("2026-06-01T22:30Z"), MondayNight), Utc, T("2026-06-01T20:00Z"));

        Assert.Equal(T("2026-06-02T07:00Z"), status.Until);
        Assert.Equal("snoozed, then quiet hours mon 22:00-07:00 (UTC) until 2026-06-02T07:00:00Z", status.Reason);
    }

    [Fact]
    public void At_SnoozeEndingExactlyAtWindowStart_IsOnePeriod() =>
        Assert.Equal(T("2026-06-02T07:00Z"), QuietHoursCalculator.At(Snoozed(T("2026-06-01T22:00Z"), MondayNight), Utc, T("2026-06-01T20:00Z")).Until);

    [Fact]
    public void At_SnoozeEndingBeforeWindow_UntilIsTheSnoozeEnd() =>
        Assert.Equal(T("2026-06-01T21:00Z"), QuietHoursCalculator.At(Snoozed(T("2026-06-01T21:00Z"), MondayNight), Utc, T("2026-06-01T20:00Z")).Until);

    [Fact]
    public void At_SnoozeInsideWindow_UntilIsTheWindowEnd()
    {
        var status = QuietHoursCalculator.At(Snoozed(T("2026-06-01T23:30Z"), MondayNight), Utc, T("2026-06-01T23:00Z"));

        Assert.Equal(T("2026-06-02T07:00Z"), status.Until);
        Assert.StartsWith("snoozed and in quiet hours mon 22:00-07:00", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void At_SnoozeOutlastingWindow_UntilIsTheSnoozeEnd()
    {
        var status = QuietHoursCalculator.At(Snoozed(T("2026-06-02T10:00Z"), MondayNight), Utc, T("2026-06-01T23:00Z"));

        Assert.Equal(T("2026-06-02T10:00Z"), status.Until);
        Assert.Equal("snoozed until 2026-06-02T10:00:00Z", status.Reason);
    }

    [Fact]
    public void At_SnoozeOverWindowOver_IsNotQuiet() =>
        Assert.False(QuietHoursCalculator.At(Snoozed(T("2026-06-01T23:30Z"), MondayNight), Utc, T("2026-06-02T07:00Z")).IsQuiet);

    [Fact]
    public void At_SnoozeForEver_IsQuietUntilTheEndOfTime()
    {
        var settings = Snoozed(DateTimeOffset.MaxValue, MondayNight);

        Assert.Equal(DateTimeOffset.MaxValue, QuietHoursCalculator.At(settings, Lisbon, T("2026-06-01T20:00Z")).Until);
        Assert.Equal((T("2026-06-01T20:00Z"), DateTimeOffset.MaxValue), QuietHoursCalculator.NextPeriod(settings, Lisbon, T("2026-06-01T20:00Z")));
    }
}
