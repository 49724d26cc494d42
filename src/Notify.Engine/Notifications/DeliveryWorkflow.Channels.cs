using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Storage;

namespace Notify.Engine.Notifications;

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

// Push and email: what the channel dispatcher asks the workflow before and after each provider call.
public sealed partial class DeliveryWorkflow
{
    /// <summary>Reads what a pending push or email delivery should send now. Called before every attempt, so a retry
    /// stops as soon as the notification was seen, expired or collapsed, or the chain moved past the delivery's step.</summary>
    public async Task<SendPlan> PrepareSendAsync(SendJob job, CancellationToken ct = default)
    {
        var details = await store.GetNotificationAsync(job.NotificationId, ct);
        var delivery = details?.Deliveries.FirstOrDefault(d => d.Id == job.DeliveryId);
        if (details is null || delivery is null) return SendPlan.Skip("the notification is gone");
        var n = details.Notification;
        if (delivery.Status != DeliveryStatus.Pending) return SendPlan.Skip($"the delivery is already {Names.Of(delivery.Status)}");
        if (n.Status.IsFinal()) return SendPlan.Skip($"the notification is {Names.Of(n.Status)}");
        var now = time.UtcNow();
        if (n.IsExpired(now)) return SendPlan.Skip("the notification expired");
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
            var change = new NotificationChange(job.NotificationId);
            change.Attempts.Add(attempt);
            await store.CommitAsync([change], ct);
            return;
        }
        var why = result.Outcome == SendOutcome.Sent ? null : Describe(result);
        await SettleAsync(job, attempt, result, why, ct);
    }

    /// <summary>Gives up on a pending delivery (retries exhausted, the step passed, the device or address is gone):
    /// it is recorded as failed and the chain moves on.</summary>
    public Task FailSendAsync(SendJob job, string reason, CancellationToken ct = default) => SettleAsync(job, null, null, reason, ct);

    /// <summary>Records a provider call that is not a delivery of its own (the silent push that clears a notification).</summary>
    public async Task RecordAttemptAsync(string notificationId, SendAttempt attempt, CancellationToken ct = default)
    {
        var change = new NotificationChange(notificationId);
        change.Attempts.Add(attempt);
        await store.CommitAsync([change], ct);
    }

    /// <summary>A push provider said the device's token is dead: forget it (the device stays; the app registers a new
    /// token with <c>PATCH /v1/devices/{id}</c>).</summary>
    public async Task ForgetPushTokenAsync(string deviceId, string token, CancellationToken ct = default)
    {
        var stored = await store.GetDeviceAsync(deviceId, ct);
        if (stored?.Device.Push?.Token != token) return; // already replaced by a new registration
        await store.UpdateDeviceAsync(stored.Device with { Push = null }, ct);
        LogTokenForgotten(deviceId, stored.Device.Push.Provider);
    }

    private async Task SettleAsync(SendJob job, SendAttempt? attempt, SendResult? result, string? failure, CancellationToken ct)
    {
        using var _ = await _locks.AcquireAsync(job.NotificationId, ct);
        var now = time.UtcNow();
        var details = await store.GetNotificationAsync(job.NotificationId, ct);
        var delivery = details?.Deliveries.FirstOrDefault(d => d.Id == job.DeliveryId);
        var change = new NotificationChange(job.NotificationId);
        if (attempt is not null) change.Attempts.Add(attempt);
        if (details is null || delivery is null || delivery.Status != DeliveryStatus.Pending)
        {
            // Settled meanwhile (acknowledged elsewhere, dropped at expiry): keep the record of the call only.
            if (change.Attempts.Count > 0) await store.CommitAsync([change], ct);
            return;
        }
        var n = details.Notification;
        var sends = new List<Send>();
        var via = $"{Names.Of(delivery.Channel)} via {result?.Provider ?? ProviderOf(delivery)}";
        if (failure is null)
        {
            var id = result?.MessageId is { } messageId ? $" (id {messageId})" : "";
            change.DeliveryUpdates.Add(new DeliveryUpdate(delivery.Id, DeliveryStatus.Sent, now, $"accepted by {result!.Provider}{id}"));
            change.Trace.Add(new TraceEntry(now, delivery.Step, delivery.DeviceId, $"{via}: accepted{id}"));
            AddEvent(change, n, WebhookEventTypes.Delivered, now, DeliveryFields(delivery));
            if (n.Status == NotificationStatus.Scheduled)
            {
                change.Update = n with { Status = NotificationStatus.Delivered };
                change.ExpectedStatus = n.Status;
            }
            await CommitAndSendAsync(change, sends, ct);
            return;
        }

        change.DeliveryUpdates.Add(new DeliveryUpdate(delivery.Id, DeliveryStatus.Failed, null, failure));
        change.Trace.Add(new TraceEntry(now, delivery.Step, delivery.DeviceId, $"{via}: failed: {failure}"));
        var failed = DeliveryFields(delivery);
        failed["reason"] = failure;
        AddEvent(change, n, WebhookEventTypes.Failed, now, failed);

        // The step is over when none of its deliveries can still reach anyone: take the next step now.
        var stepOpen = details.Deliveries.Any(d => d.Id != delivery.Id && d.Step == delivery.Step &&
            d.Status is DeliveryStatus.Pending or DeliveryStatus.Sent or DeliveryStatus.Acknowledged);
        if (n.Step == delivery.Step && !stepOpen && !n.IsExpired(now))
        {
            var settled = details with { Deliveries = [.. details.Deliveries.Select(d => d.Id == delivery.Id ? d with { Status = DeliveryStatus.Failed } : d)] };
            await DecideAgainAsync(settled, change, sends, now, $"step {delivery.Step + 1} failed: following up at once", delivery.Step + 1, 0, null, ct);
            var reachedAnyone = settled.Deliveries.Any(d => d.Status is DeliveryStatus.Sent or DeliveryStatus.Acknowledged or DeliveryStatus.Cleared);
            var movedOn = change.Update is { } u && (u.Step != n.Step || u.Status == NotificationStatus.Held);
            if (!movedOn && !reachedAnyone)
            {
                var final = Finish(settled, NotificationStatus.Failed, "failed", null, "failed: no step could reach the user", sends, now);
                final.Attempts.AddRange(change.Attempts);
                final.DeliveryUpdates.InsertRange(0, change.DeliveryUpdates);
                final.Trace.InsertRange(0, change.Trace);
                final.Events.AddRange(change.Events);
                AddEvent(final, n, WebhookEventTypes.Failed, now, new() { ["reason"] = "no step could reach the user" });
                change = final;
            }
        }
        await CommitAndSendAsync(change, sends, ct);
    }

    private async Task CommitAndSendAsync(NotificationChange change, List<Send> sends, CancellationToken ct)
    {
        var commit = await CommitAsync([change], ct);
        await AfterCommitAsync([change], sends, commit, ct);
    }

    private static string ProviderOf(Delivery d) => d.Channel == Channel.Email ? "email" : "push";

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

    /// <summary>Adds a delivery-status event for the app's webhook, if it has one.</summary>
    private void AddEvent(NotificationChange change, Notification n, string type, DateTimeOffset now, JsonObject? fields = null)
    {
        if (!options.WebhookApps.Contains(n.AppId)) return;
        var data = new JsonObject
        {
            ["notificationId"] = n.Id,
            ["userId"] = n.UserId,
            ["category"] = n.Category,
        };
        if (fields is not null)
            foreach (var (key, value) in fields.ToList())
                if (value is not null) data[key] = value.DeepClone();
        change.Events.Add(new WebhookEvent(Ids.New("evt", now), n.AppId, type, now, data));
    }

    private static JsonObject DeliveryFields(Delivery d) => new()
    {
        ["deliveryId"] = d.Id,
        ["channel"] = Names.Of(d.Channel),
        ["deviceId"] = d.DeviceId,
        ["step"] = d.Step + 1,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forgot the {Provider} push token of device {DeviceId}: the provider says it is no longer valid")]
    private partial void LogTokenForgotten(string deviceId, string provider);
}
