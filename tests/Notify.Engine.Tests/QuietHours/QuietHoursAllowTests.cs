using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using static Notify.Engine.Tests.QuietHours.QuietHoursTestData;

namespace Notify.Engine.Tests.QuietHours;

public class QuietHoursAllowTests
{
    [Fact]
    public void Allows_ListedPriority_IsTrue() =>
        Assert.True(QuietHoursCalculator.Allows(Allowing(Priority.High, Priority.Critical), Priority.High));

    [Fact]
    public void Allows_CriticalNotListed_IsFalse() =>
        Assert.False(QuietHoursCalculator.Allows(Allowing(Priority.High), Priority.Critical));

    [Fact]
    public void Allows_CriticalListed_IsTrue() =>
        Assert.True(QuietHoursCalculator.Allows(Allowing(Priority.Critical), Priority.Critical));

    [Theory]
    [InlineData(Priority.Low)]
    [InlineData(Priority.Normal)]
    [InlineData(Priority.High)]
    [InlineData(Priority.Critical)]
    public void Allows_EmptyList_NothingPasses(Priority priority)
    {
        Assert.False(QuietHoursCalculator.Allows(Allowing(), priority));
        Assert.False(QuietHoursCalculator.Allows(QuietHoursSettings.None, priority));
    }

    [Fact]
    public void Allows_DoesNotDependOnBeingQuiet()
    {
        var settings = Allowing(Priority.Critical);

        Assert.False(QuietHoursCalculator.At(settings, Utc, T("2026-06-02T12:00Z")).IsQuiet);
        Assert.True(QuietHoursCalculator.Allows(settings, Priority.Critical));
        Assert.False(QuietHoursCalculator.Allows(settings, Priority.Low));
    }
}
