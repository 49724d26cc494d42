using Notify.Engine.Planning;

namespace Notify.Engine.Notifications.Handlers;

/// <summary>A device connected: send it every in-app notification still open for it.</summary>
public sealed class ResendHandler(PlanRunner runner)
{
    /// <param name="lastEventId">An SSE client's <c>Last-Event-ID</c>: deliveries it already received are skipped.</param>
    public async Task ResendOpenAsync(string deviceId, string? lastEventId, CancellationToken ct = default)
    {
        var ctx = runner.Context("", "");
        var open = await runner.Store.GetOpenInAppDeliveriesAsync(deviceId, ctx.Now, ct);
        if (open.Count == 0) return;
        // The device's user, for their quiet hours (what arrives during them arrives silently).
        var user = await runner.Store.GetUserAsync(open[0].Notification.AppId, open[0].Notification.UserId, ct);
        // Recorded as sent before sending: if the connection drops now, the next connect sends it again anyway.
        await runner.RunAsync(Planner.Resend(deviceId, open, lastEventId, ctx, user), ct);
    }
}
