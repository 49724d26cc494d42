using Microsoft.Extensions.Logging;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Planning;

namespace Notify.Engine.Notifications.Handlers;

/// <summary>What the channel dispatcher may send for a pending delivery, or why not any more.</summary>
public sealed record SendPlan(string? Provider, PushMessage? Push, EmailMessage? Email, string? StopReason, bool FailDelivery)
{
    public bool Ready => StopReason is null;

    /// <summary>For push: the device, so a dead token can be forgotten without reading the notification again.</summary>
    public string? DeviceId { get; init; }

    /// <summary>Nothing to do (already sent, acknowledged, dropped): leave the delivery as it is.</summary>
    public static SendPlan Skip(string why) => new(null, null, null, why, false);

    /// <summary>It can no longer be sent: record the delivery as failed with the reason and move the chain on.</summary>
    public static SendPlan Fail(string why) => new(null, null, null, why, true);
}

/// <summary>
/// Push and email: what the channel dispatcher asks before each provider call (what to send, or why not any more), and
/// what it reports after (a provider's answer settles the delivery; a failure takes the next step at once).
/// </summary>
public sealed partial class SendHandler(PlanRunner runner, ILogger<SendHandler> logger)
{
    /// <summary>Reads what a pending push or email delivery should send now. Called before every attempt, so a retry
    /// stops as soon as the notification was seen, expired or collapsed, or the chain moved past the delivery's step.</summary>
    public async Task<SendPlan> PrepareSendAsync(SendJob job, CancellationToken ct = default)
    {
        var store = runner.Store;
        var details = await store.GetNotificationAsync(job.NotificationId, ct);
        var delivery = details?.Deliveries.FirstOrDefault(d => d.Id == job.DeliveryId);
        if (details is null || delivery is null) return SendPlan.Skip("the notification is gone");
        var n = details.Notification;
        if (delivery.Status != DeliveryStatus.Pending) return SendPlan.Skip($"the delivery is already {Names.Of(delivery.Status)}");
        if (n.Status.IsFinal()) return SendPlan.Skip($"the notification is {Names.Of(n.Status)}");
        if (n.IsExpired(runner.Time.UtcNow())) return SendPlan.Skip("the notification expired");
        if (n.Step != delivery.Step) return SendPlan.Fail($"not sent: the chain moved on to step {n.Step + 1}");

        var payload = NotificationPayload.From(n, delivery.Silent, delivery.Attempt);
        if (delivery.Channel == Channel.Email)
        {
            var user = await store.GetUserAsync(n.AppId, n.UserId, ct);
            if (string.IsNullOrEmpty(user?.Email)) return SendPlan.Fail("the user has no email address any more");
            return new SendPlan("email", null, new EmailMessage(user.Email, user.Id, user.Locale, payload), null, false);
        }
        var device = delivery.DeviceId is null ? null : await store.GetDeviceAsync(delivery.DeviceId, ct);
        if (device?.Device.Push is not { } push) return SendPlan.Fail(device is null ? "the device was deleted" : "the device has no push token any more");
        return new SendPlan(push.Provider, new PushMessage(push, PushKind.Alert, payload, n.CollapseKey), null, null, false) { DeviceId = device.Device.Id };
    }

    /// <summary>Records one provider call. A final outcome (anything but <see cref="SendOutcome.Transient"/>) also settles
    /// the delivery: sent; or failed with the reason, the push token forgotten when it is dead, and the chain moved on
    /// at once instead of after the step's wait.</summary>
    public async Task RecordSendAsync(SendJob job, SendAttempt attempt, SendResult result, CancellationToken ct = default)
    {
        if (result.Outcome == SendOutcome.Transient)
        {
            await RecordAttemptAsync(job.NotificationId, attempt, ct);
            return;
        }
        await SettleAsync(job, attempt, result, result.Outcome == SendOutcome.Sent ? null : Describe(result), ct);
    }

    /// <summary>Gives up on a pending delivery (retries exhausted, the step passed, the device or address is gone):
    /// it is recorded as failed and the chain moves on.</summary>
    public Task FailSendAsync(SendJob job, string reason, CancellationToken ct = default) => SettleAsync(job, null, null, reason, ct);

    /// <summary>Records a provider call that is not a delivery of its own (a retry, the silent push that clears a notification).</summary>
    public async Task RecordAttemptAsync(string notificationId, SendAttempt attempt, CancellationToken ct = default)
    {
        var change = new Storage.NotificationChange(notificationId);
        change.Attempts.Add(attempt);
        await runner.Store.CommitAsync([change], ct);
    }

    /// <summary>A push provider said the device's token is dead: forget it (the device stays; the app registers a new
    /// token with <c>PATCH /v1/devices/{id}</c>).</summary>
    public async Task ForgetPushTokenAsync(string deviceId, string token, CancellationToken ct = default)
    {
        var stored = await runner.Store.GetDeviceAsync(deviceId, ct);
        if (stored?.Device.Push?.Token != token) return; // already replaced by a new registration
        await runner.Store.UpdateDeviceAsync(stored.Device with { Push = null }, ct);
        LogTokenForgotten(deviceId, stored.Device.Push.Provider);
    }

    private async Task SettleAsync(SendJob job, SendAttempt? attempt, SendResult? result, string? failure, CancellationToken ct)
    {
        using var _ = await runner.Locks.AcquireAsync(job.NotificationId, ct);
        var details = await runner.Store.GetNotificationAsync(job.NotificationId, ct);
        var n = details?.Notification;
        // A failure may take the next step at once: only then load what a decision needs.
        var (user, devices, rule) = failure is not null && n is not null && !n.Status.IsFinal()
            ? await runner.DecisionInputsAsync(n, ct) : (null, [], null);
        var ctx = n is null ? runner.Context() : runner.Context(n.AppId, n.UserId);
        await runner.RunAsync(Planner.Settle(details, job, attempt, result, failure, user, devices, rule, ctx), ct);
    }

    private static string Describe(SendResult r)
    {
        var what = r.Outcome switch
        {
            SendOutcome.TokenInvalid => "the push token is no longer valid",
            SendOutcome.Rejected => "the provider refused the message",
            SendOutcome.Misconfigured => "the provider refused our credentials or configuration",
            _ => "the provider failed",
        };
        var status = r.Status is { } s ? $"{s} " : "";
        return r.Reason is null ? $"{what} ({status.Trim()})" : $"{what} ({status}{r.Reason})";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forgot the {Provider} push token of device {DeviceId}: the provider says it is no longer valid")]
    private partial void LogTokenForgotten(string deviceId, string provider);
}
