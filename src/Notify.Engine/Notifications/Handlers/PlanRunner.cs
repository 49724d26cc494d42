using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Notify.Engine.Channels;
using Notify.Engine.Devices;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Planning;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Engine.Timers;

namespace Notify.Engine.Notifications.Handlers;

/// <summary>
/// What every handler shares: reading a plan's inputs (the user, the devices with their live state, the rule version a
/// notification started with, the context), the per-notification lock, and running a plan: commit its changes in one
/// atomic write, then run the effects of the changes that applied. Nothing is sent before its commit returns, so a crash
/// never loses an accepted notification, and a lost race (another node fired the same timer) sends nothing. In-app sends
/// are queued per device (<see cref="DeviceOutbox"/>), not awaited: a notify is answered once its commit is durable.
/// </summary>
public sealed partial class PlanRunner(INotifyStore store, RuleSet rules, DeviceStateTracker devices, IRealtimeSender realtime,
    DispatchQueue dispatch, TimerSchedule schedule, DeliveryOptions options, NotifyMetrics metrics, TimeProvider time, ILogger<PlanRunner> logger,
    ResponseScoring? scoring = null, IOutcomeRecorder? outcomes = null, ResponseTimes? responseTimes = null)
{
    public INotifyStore Store => store;
    public RuleSet Rules => rules;
    public DeliveryOptions Options => options;
    public TimeProvider Time => time;

    /// <summary>Work on one notification is serialized; different notifications run in parallel.</summary>
    public KeyedLock Locks { get; } = new();

    /// <summary>In-app sends, queued per device after their commit and sent off the caller's path.</summary>
    public DeviceOutbox Outbox { get; } = new(realtime, logger);

    /// <summary>Users with notifications held until a device is ready (decided again when one of their devices reports).</summary>
    internal ConcurrentDictionary<(string AppId, string UserId), byte> DeviceHolds { get; } = new();

    /// <summary>The context of a plan made now for this user (with their typical response time, for learned waits).</summary>
    public PlanContext Context(string appId, string userId) => Context() with { TypicalResponse = responseTimes?.Typical(appId, userId) };

    /// <summary>The context of a plan made now that decides nothing for a user (a resend, a gone notification).</summary>
    public PlanContext Context() => new(time.UtcNow(), options) { Scoring = scoring };

    /// <summary>What deciding a notification again needs: its user, their devices with live state, and its rule version
    /// (each null or empty when gone: the planner says so in the trace).</summary>
    public async Task<(User? User, IReadOnlyList<DeviceSnapshot> Devices, Rule? Rule)> DecisionInputsAsync(Notification n, CancellationToken ct) =>
        (await store.GetUserAsync(n.AppId, n.UserId, ct), await DevicesAsync(n.AppId, n.UserId, ct), await RuleOfAsync(n, ct));

    /// <summary>Sends a device every in-app notification still open for it: pending ones are recorded as sent first (if the
    /// connection drops now, the next connect sends them again), and during the user's quiet hours they arrive silently.</summary>
    /// <param name="lastEventId">An SSE client's <c>Last-Event-ID</c>: deliveries it already received are skipped.</param>
    public async Task ResendOpenAsync(string deviceId, string? lastEventId, CancellationToken ct)
    {
        var ctx = Context();
        var open = await store.GetOpenInAppDeliveriesAsync(deviceId, ctx.Now, ct);
        if (open.Count == 0) return;
        var user = await store.GetUserAsync(open[0].Notification.AppId, open[0].Notification.UserId, ct);
        await RunAsync(Planner.Resend(deviceId, open, lastEventId, ctx, user), ct);
    }

    /// <summary>The user's devices, each with its live state (online, presence, battery, ...).</summary>
    public async Task<IReadOnlyList<DeviceSnapshot>> DevicesAsync(string appId, string userId, CancellationToken ct) =>
        devices.Snapshots(await store.GetDevicesAsync(appId, userId, ct));

    /// <summary>The rule version a notification started with: loaded, or read back from the store after a restart or an edit.</summary>
    public async Task<Rule?> RuleOfAsync(Notification n, CancellationToken ct)
    {
        if (rules.FindVersion(n.RuleVersion) is { } rule) return rule;
        if (await store.GetRuleVersionSourceAsync(n.RuleVersion, ct) is not { } source) return null;
        var parsed = RuleParser.Parse(source, n.RuleName);
        if (parsed.Rule is null) return null;
        rules.Remember(parsed.Rule);
        return rules.FindVersion(n.RuleVersion);
    }

    /// <summary>Commits the plan's changes, then runs the effects of those that applied.</summary>
    public async Task<CommitResult?> RunAsync(Plan plan, CancellationToken ct)
    {
        if (plan.IsEmpty) return null;
        var changes = plan.Changes;
        // New timers this node will hold: those due within the claim window are stored already leased to it, so they
        // cost no claim query (and are added to the schedule below).
        if (changes.Any(c => c.NewTimers.Count > 0) && schedule.Lease is { } lease)
            foreach (var change in changes) change.NewTimersLease = lease;
        var commit = changes.Count > 0 ? await store.CommitAsync(changes, ct) : CommitResult.Applied;
        if (commit.IsDuplicate) return commit;
        bool Applied(string notificationId) => commit.Skipped?.Contains(notificationId) != true;

        foreach (var change in changes)
        {
            if (!Applied(change.NotificationId)) continue;
            if (change.Insert is { } inserted) metrics.Accepted(inserted.Status);
            if (change.Update is { } final && final.Status.IsFinal() && change.DeleteAllTimers) metrics.Finished(final.Status);
            foreach (var group in change.NewDeliveries.GroupBy(d => d.Channel))
                metrics.Delivered(group.Key, change.Insert is null, group.Count());
            if (change.DeleteAllTimers) schedule.CancelNotification(change.NotificationId);
            else if (change.NewTimersLease is { } held) schedule.Add(change.NewTimers.Where(t => t.DueAt < held.DueBefore));
        }
        if (changes.Any(c => c.Events.Count > 0 && Applied(c.NotificationId))) dispatch.WebhooksAdded();

        foreach (var effect in plan.Effects)
        {
            if (!Applied(effect.NotificationId)) continue;
            switch (effect)
            {
                case Dispatch d:
                    dispatch.Enqueue(d.Job);
                    break;
                case SendToDevice s:
                    // Queued, not awaited: the caller answers once the commit is durable; the device's queue keeps the order.
                    Outbox.Enqueue(s);
                    break;
                case RecordDecided r:
                    outcomes.Decided(r.User, r.Notification, r.Rule, r.Decision, r.Deliveries, r.At);
                    break;
                case RecordResponse r:
                    outcomes?.Responded(r.NotificationId, r.DeviceId, r.Action, r.At);
                    if (r.ResponseTime is { } elapsed) responseTimes?.Observe(r.AppId, r.UserId, elapsed);
                    break;
                case RecordUnanswered u:
                    outcomes?.Unanswered(u.NotificationId, u.Step, u.Kind, u.At);
                    break;
                case WatchDevices w:
                    DeviceHolds[(w.AppId, w.UserId)] = 0;
                    break;
            }
        }

        // A device that connected while this was decided (after it was seen offline, before the commit) read the open
        // deliveries too early to see the new pending one: send it now.
        var connectedSince = changes.Where(c => Applied(c.NotificationId)).SelectMany(c => c.NewDeliveries)
            .Where(d => d is { Status: DeliveryStatus.Pending, Channel: Channel.InApp, DeviceId: not null } && realtime.IsConnected(d.DeviceId!))
            .Select(d => d.DeviceId!).Distinct().ToList();
        foreach (var deviceId in connectedSince) await ResendOpenAsync(deviceId, null, ct);
        return commit;
    }
}
