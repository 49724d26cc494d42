using Notify.Engine.Timers;

namespace Notify.Engine.Tests.Timers;

public class TimerScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TimerRecord Timer(string id, int seconds, string notification = "n") =>
        new(id, notification, TimerKind.FollowUp, 0, T0.AddSeconds(seconds));

    [Fact]
    public void TakeDue_ReturnsOnlyDueTimers_EarliestFirst()
    {
        var schedule = new TimerSchedule();
        schedule.Load([Timer("b", 20), Timer("a", 10), Timer("c", 30)], T0.AddMinutes(10));

        Assert.Empty(schedule.TakeDue(T0.AddSeconds(5)));
        Assert.Equal(["a", "b"], schedule.TakeDue(T0.AddSeconds(25)).Select(t => t.Id));
        Assert.Equal(T0.AddSeconds(30), schedule.NextDue);
    }

    [Fact]
    public void Add_BeyondHorizon_IsLeftToTheStore()
    {
        var schedule = new TimerSchedule();
        schedule.Load([], T0.AddMinutes(10));
        schedule.Add([Timer("far", 3600)]);
        Assert.Equal(0, schedule.Count);
    }

    [Fact]
    public void Add_SameTimerTwice_HeldOnce()
    {
        var schedule = new TimerSchedule();
        schedule.Load([Timer("a", 10)], T0.AddMinutes(10));
        schedule.Load([Timer("a", 10)], T0.AddMinutes(20));
        Assert.Single(schedule.TakeDue(T0.AddMinutes(1)));
    }

    [Fact]
    public void CancelNotification_ItsTimersDoNotFire()
    {
        var schedule = new TimerSchedule();
        schedule.Load([Timer("a", 10, "n1"), Timer("b", 10, "n2")], T0.AddMinutes(10));
        schedule.CancelNotification("n1");
        Assert.Equal(["b"], schedule.TakeDue(T0.AddMinutes(1)).Select(t => t.Id));
    }

    [Fact]
    public async Task Changed_CompletesWhenAnEarlierTimerArrives()
    {
        var schedule = new TimerSchedule();
        schedule.Load([Timer("late", 60)], T0.AddMinutes(10));
        var changed = schedule.Changed;
        Assert.False(changed.IsCompleted);
        schedule.Add([Timer("early", 5)]);
        await changed.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
