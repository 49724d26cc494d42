namespace Notify.Engine.Notifications.Handlers;

/// <summary>A device connected: send it every in-app notification still open for it (<see cref="PlanRunner.ResendOpenAsync"/>,
/// which the runner also uses for a device that connected while a decision was being made).</summary>
public sealed class ResendHandler(PlanRunner runner)
{
    /// <param name="lastEventId">An SSE client's <c>Last-Event-ID</c>: deliveries it already received are skipped.</param>
    public Task ResendOpenAsync(string deviceId, string? lastEventId, CancellationToken ct = default) => runner.ResendOpenAsync(deviceId, lastEventId, ct);
}
