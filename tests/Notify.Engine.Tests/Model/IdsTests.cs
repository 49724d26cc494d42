using Notify.Engine.Model;

namespace Notify.Engine.Tests.Model;

public class IdsTests
{
    [Fact]
    public void New_ManyInOneMillisecond_SortInCreationOrder()
    {
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 10_000).Select(_ => Ids.New("dlv", now)).ToList();
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void New_ClockGoesBack_StillSortsAfter()
    {
        var a = Ids.New("ntf", new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var b = Ids.New("ntf", new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(-10));
        Assert.True(string.CompareOrdinal(a, b) < 0);
        Assert.StartsWith("ntf_", b);
    }
}
