using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using NodaTime;

namespace Notify.Engine.Tests.QuietHours;

public class QuietHoursParserTests
{
    private static QuietWindowInput Window(string? from = "22:00", string? to = "07:00", params string[]? days) =>
        new(days, from, to);

    private static IReadOnlyList<(string Field, string Message)> Errors(IReadOnlyList<QuietWindowInput>? windows, IReadOnlyList<string>? allow = null)
    {
        Assert.Null(QuietHoursParser.TryParse(windows, null, allow, out var errors));
        Assert.NotEmpty(errors);
        return errors;
    }

    [Fact]
    public void TryParse_ValidBody_GivesSettings()
    {
        var snooze = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

        var settings = QuietHoursParser.TryParse([Window("22:00", "07:00", "mon", "tue")], snooze, ["critical", "high"], out var errors);

        Assert.Empty(errors);
        Assert.NotNull(settings);
        var window = Assert.Single(settings.Windows);
        Assert.Equal([IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday], window.Days);
        Assert.Equal(new LocalTime(22, 0), window.From);
        Assert.Equal(new LocalTime(7, 0), window.To);
        Assert.Equal(snooze, settings.SnoozeUntil);
        Assert.Equal([Priority.Critical, Priority.High], settings.Allow);
    }

    [Fact]
    public void TryParse_NullListsAndNoSnooze_GiveNoQuietHours()
    {
        var settings = QuietHoursParser.TryParse(null, null, null, out var errors);

        Assert.Empty(errors);
        Assert.Empty(settings!.Windows);
        Assert.Empty(settings.Allow);
        Assert.Null(settings.SnoozeUntil);
    }

    [Theory]
    [InlineData("weekdays", new[] { IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday })]
    [InlineData("weekend", new[] { IsoDayOfWeek.Saturday, IsoDayOfWeek.Sunday })]
    [InlineData("daily", new[] { IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday, IsoDayOfWeek.Saturday, IsoDayOfWeek.Sunday })]
    public void TryParse_DayShorthands_Expand(string shorthand, IsoDayOfWeek[] expected) =>
        Assert.Equal(expected, QuietHoursParser.TryParse([Window("22:00", "07:00", shorthand)], null, null, out _)!.Windows[0].Days);

    [Fact]
    public void TryParse_DaysInAnyCase_AreAccepted() =>
        Assert.Equal([IsoDayOfWeek.Monday, IsoDayOfWeek.Saturday, IsoDayOfWeek.Sunday],
            QuietHoursParser.TryParse([Window("22:00", "07:00", "Mon", "WEEKEND")], null, null, out _)!.Windows[0].Days);

    [Fact]
    public void TryParse_DuplicateDays_AreMergedInWeekOrder() =>
        Assert.Equal([IsoDayOfWeek.Monday, IsoDayOfWeek.Saturday, IsoDayOfWeek.Sunday],
            QuietHoursParser.TryParse([Window("22:00", "07:00", "sun", "weekend", "mon")], null, null, out _)!.Windows[0].Days);

    [Fact]
    public void TryParse_MidnightAndWholeDay_AreValid()
    {
        var settings = QuietHoursParser.TryParse([Window("22:00", "00:00", "mon"), Window("00:00", "00:00", "sun")], null, null, out var errors);

        Assert.Empty(errors);
        Assert.Equal(2, settings!.Windows.Count);
    }

    [Theory]
    [InlineData("monday", "windows[0].days[0]", "\"mon\"")]
    [InlineData(" mon", "windows[0].days[0]", "remove the spaces")]
    [InlineData("funday", "windows[0].days[0]", "mon, tue, wed")]
    public void TryParse_BadDay_NamesTheDayAndWhatToSend(string day, string field, string hint)
    {
        var error = Assert.Single(Errors([Window("22:00", "07:00", day)]));

        Assert.Equal(field, error.Field);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MissingDays_IsAnErrorOnDays()
    {
        var errors = Errors([Window("22:00", "07:00", "mon"), Window("22:00", "07:00", null), Window("22:00", "07:00")]);

        Assert.Equal(["windows[1].days", "windows[2].days"], errors.Select(e => e.Field));
        Assert.All(errors, e => Assert.Contains("\"mon\"", e.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("25:00", "24-hour")]
    [InlineData("7pm", "\"19:00\"")]
    [InlineData("7:30 am", "\"07:30\"")]
    [InlineData("12am", "\"00:00\"")]
    [InlineData("7:00", "\"07:00\"")]
    [InlineData("24:00", "\"00:00\"")]
    [InlineData("22h", "HH:mm")]
    [InlineData("", "HH:mm")]
    public void TryParse_BadTime_SaysWhatToSend(string time, string hint)
    {
        var error = Assert.Single(Errors([Window("22:00", time, "mon")]));

        Assert.Equal("windows[0].to", error.Field);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MissingFrom_IsAnErrorOnFrom() =>
        Assert.Equal("windows[1].from", Assert.Single(Errors([Window("22:00", "07:00", "mon"), Window(null, "07:00", "tue")])).Field);

    [Fact]
    public void TryParse_NullWindow_IsAnErrorOnTheWindow() =>
        Assert.Equal("windows[0]", Assert.Single(Errors([null!])).Field);

    [Theory]
    [InlineData("urgent")]
    [InlineData("crit")]
    [InlineData("")]
    public void TryParse_UnknownPriority_ListsTheKnownOnes(string priority)
    {
        var error = Assert.Single(Errors([], ["critical", priority]));

        Assert.Equal("allow[1]", error.Field);
        Assert.Contains("low, normal, high, critical", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_TooManyWindows_IsAnErrorOnWindows()
    {
        var windows = Enumerable.Range(0, QuietHoursParser.MaxWindows + 1).Select(_ => Window("22:00", "07:00", "mon")).ToList();

        Assert.Equal("windows", Assert.Single(Errors(windows)).Field);
    }

    [Fact]
    public void TryParse_SeveralProblems_AreAllReported()
    {
        var errors = Errors([Window("25:00", "7pm", "funday")], ["urgent"]);

        Assert.Equal(["windows[0].days[0]", "windows[0].from", "windows[0].to", "allow[0]"], errors.Select(e => e.Field));
    }
}
