using Notify.Engine.Model;
using Notify.Engine.Planning;

namespace Notify.Engine.Notifications.Handlers;

/// <summary>A device acknowledged a notification: stop the chain and clear it on every other device.</summary>
public sealed class AckHandler(PlanRunner runner)
{
    public async Task<AckOutcome> AcknowledgeAsync(Device device, string notificationId, AckAction action, CancellationToken ct = default)
    {
        using var _ = await runner.Locks.AcquireAsync(notificationId, ct);
        var details = await runner.Store.GetNotificationAsync(notificationId, ct);
        if (details is null || details.Notification.AppId != device.AppId || details.Notification.UserId != device.UserId)
            return new AckOutcome.NotFound();
        var plan = Planner.Acknowledge(details, device, action, runner.Context(device.AppId, device.UserId));
        await runner.RunAsync(plan, ct);
        return new AckOutcome.Done(notificationId, plan.Notification!.Status);
    }
}
