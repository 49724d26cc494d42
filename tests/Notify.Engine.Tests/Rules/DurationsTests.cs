using Notify.Engine.Rules;

namespace Notify.Engine.Tests.Rules;

public class DurationsTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("1d", 86400)]
    [InlineData("1h30m", 5400)]
    [InlineData("PT30S", 30)]
    [InlineData("PT1H", 3600)]
    [InlineData("P1D", 86400)]
    public void TryParse_ValidForms_GiveTheDuration(string text, int seconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("10")]
    [InlineData("P1M")]
    [InlineData("5 minutes")]
    [InlineData("-5m")]
    public void TryParse_Invalid_IsFalse(string text) => Assert.False(Durations.TryParse(text, out _));

    [Fact]
    public void Format_IsTheShortForm() => Assert.Equal("1h30m", Durations.Format(TimeSpan.FromMinutes(90)));
}
