namespace Notify.Engine.Timers;

public enum TimerKind
{
    /// <summary>The step's wait is over: follow up unless someone saw it.</summary>
    FollowUp,
    /// <summary>The TTL is over: expire it and clear it everywhere.</summary>
    Expire,
}

/// <summary>A durable timer: stored with the change that creates it, fired by whichever process holds it in memory.</summary>
/// <param name="Step">For a follow-up, the step whose wait this is.</param>
public sealed record TimerRecord(string Id, string NotificationId, TimerKind Kind, int Step, DateTimeOffset DueAt);
