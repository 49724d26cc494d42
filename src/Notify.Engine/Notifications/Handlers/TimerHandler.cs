using Notify.Engine.Model;
using Notify.Engine.Planning;
using Notify.Engine.Timers;

namespace Notify.Engine.Notifications.Handlers;

/// <summary>A durable timer fired (a follow-up, a repeat, the end of a hold, the expiry): under the notification's lock,
/// load it with what a new decision needs, plan, commit (only if this firing deletes the timer), then send.</summary>
public sealed class TimerHandler(PlanRunner runner)
{
    public async Task FireAsync(TimerRecord timer, CancellationToken ct = default)
    {
        using var _ = await runner.Locks.AcquireAsync(timer.NotificationId, ct);
        var details = await runner.Store.GetNotificationAsync(timer.NotificationId, ct);
        var n = details?.Notification;
        // Only a timer that may decide again needs the user, devices and rule (not an expiry, not a finished notification).
        var (user, devices, rule) = n is not null && !n.Status.IsFinal() && timer.Kind != TimerKind.Expire
            ? await runner.DecisionInputsAsync(n, ct) : (null, [], null);
        var ctx = n is null ? runner.Context() : runner.Context(n.AppId, n.UserId);
        await runner.RunAsync(Planner.Fire(timer, details, user, devices, rule, ctx), ct);
    }
}
