namespace Notify.Engine.Timers;

public enum TimerKind
{
    /// <summary>The step's wait is over: follow up unless someone saw it.</summary>
    FollowUp,
    /// <summary>The TTL is over: expire it and clear it everywhere.</summary>
    Expire,
    /// <summary>A hold is over (quiet hours ended, a deferral's time is up): decide the held step again.</summary>
    Release,
}

/// <summary>A durable timer: stored with the change that creates it, fired by whichever process holds it in memory.</summary>
/// <param name="Step">For a follow-up, the step whose wait this is; for a release, the held step.</param>
/// <param name="Attempt">For the rule's <c>repeat</c>: which repeat of the last step this timer starts (0 for a normal follow-up).</param>
public sealed record TimerRecord(string Id, string NotificationId, TimerKind Kind, int Step, DateTimeOffset DueAt, int Attempt = 0);
