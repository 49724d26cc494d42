using System.Text.Json;
using System.Text.Json.Nodes;
using Notify.Engine.Channels;
using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Engine.Timers;

namespace Notify.Engine.Planning;

/// <summary>
/// The life of a notification as pure functions: given what the store and the device tracker hold now, what changes
/// and what to send. Accept (decide, store, send), follow up when unseen, release a hold, clear everywhere when seen,
/// expire at the TTL, settle a provider's answer, re-send to a device that connects. No store, no clock, no I/O: the
/// handlers (<c>Notifications/Handlers</c>) load the inputs under the notification's lock, commit the plan's changes and
/// then run its effects; <c>POST /v1/simulate</c> calls the same functions and returns the plan unrun.
/// </summary>
public static class Planner
{
    /// <summary>A notify call for a user with these devices, under this rule. <paramref name="collapsible"/> are the user's
    /// open notifications with the same collapse key, which the new one replaces.</summary>
    public static Plan Accept(string appId, NotifyCommand command, User user, IReadOnlyList<DeviceSnapshot> devices, Rule rule,
        IReadOnlyList<NotificationDetails> collapsible, PlanContext ctx)
    {
        var now = ctx.Now;
        var options = ctx.Options;
        var ttl = command.Ttl ?? rule.Ttl ?? options.DefaultTtl;
        if (ttl > options.MaxTtl) ttl = options.MaxTtl;
        var notification = new Notification
        {
            Id = ctx.Id("ntf"),
            AppId = appId,
            UserId = user.Id,
            Category = command.Category,
            Title = command.Title,
            Body = command.Body,
            Data = command.Data,
            Priority = command.Priority ?? rule.Priority ?? Priority.Normal,
            IdempotencyKey = command.IdempotencyKey,
            CollapseKey = command.CollapseKey,
            CreatedAt = now,
            ExpiresAt = now + ttl,
            RuleName = rule.Name,
            RuleVersion = rule.Version,
            Status = NotificationStatus.Scheduled,
        };

        var b = new Builder(notification.Id, ctx);
        var decision = Decide(notification, user, devices, rule, 0, [], ctx, deferralOver: null, isRepeat: false);
        notification = b.Apply(notification, decision, user, rule, isFollowUp: false);
        if (!notification.Status.IsFinal())
            b.Change.NewTimers.Add(new TimerRecord(ctx.Id("tmr"), notification.Id, TimerKind.Expire, -1, notification.ExpiresAt));

        if (command.CollapseKey is { } collapseKey)
            foreach (var older in collapsible)
                b.Others.Add(b.Finish(older, NotificationStatus.Collapsed, "collapsed", null,
                    $"replaced by {notification.Id} (same collapse key '{collapseKey}')", TraceKind.Collapsed));

        var result = new NotifyResult(notification.Id, notification.Status, Summary(notification, decision, now));
        b.Change.Insert = notification;
        b.Change.IdempotentSince = now - options.IdempotencyWindow;
        b.Change.ResponseJson = JsonSerializer.Serialize(result, EngineJson.Options);
        return b.Build(notification) with { Decision = decision, Result = result, Rule = rule };
    }

    /// <summary>A follow-up as the timer of step <paramref name="afterStep"/> (0-based) would decide it, for a notification
    /// accepted as <paramref name="accepted"/> that reached <paramref name="reached"/> at that step: what simulate answers for
    /// a later step. The same path as a real follow-up (<see cref="Fire"/>).</summary>
    public static Plan FollowUp(Notification accepted, int afterStep, IReadOnlyCollection<string> reached, User user, IReadOnlyList<DeviceSnapshot> devices,
        Rule rule, PlanContext ctx)
    {
        var n = accepted with { Status = reached.Count > 0 ? NotificationStatus.Delivered : NotificationStatus.Scheduled, Step = afterStep, Hold = null };
        var deliveries = reached.SelectMany(id => Enum.GetValues<Channel>().Where(c => c != Channel.Email)
            .Select(c => new Delivery(ctx.Id("dlv"), n.Id, afterStep, id, c, DeliveryStatus.Sent, n.CreatedAt, n.CreatedAt, "reached before (simulated)"))).ToList();
        var timer = new TimerRecord(ctx.Id("tmr"), n.Id, TimerKind.FollowUp, afterStep, ctx.Now, 0);
        var plan = Fire(timer, new NotificationDetails(n, deliveries, [], null), user, devices, rule, ctx);
        return plan with { Rule = rule, Result = plan.Notification is { } after && plan.Decision is { } d ? new NotifyResult(after.Id, after.Status, Summary(after, d, ctx.Now)) : null };
    }

    /// <summary>A durable timer fired: a follow-up, a repeat, the end of a hold, or the expiry. <paramref name="details"/> is
    /// the notification now (null when it is gone); <paramref name="user"/>, <paramref name="devices"/> and <paramref name="rule"/>
    /// are what a new decision needs (null rule: its version is no longer known).</summary>
    public static Plan Fire(TimerRecord timer, NotificationDetails? details, User? user, IReadOnlyList<DeviceSnapshot> devices, Rule? rule, PlanContext ctx)
    {
        var now = ctx.Now;
        var n = details?.Notification;
        var b = new Builder(timer.NotificationId, ctx);
        b.Change.FiredTimer = timer.Id;
        var stale = n is null || n.Status.IsFinal() || timer.Kind switch
        {
            TimerKind.FollowUp => n.Status == NotificationStatus.Held || timer.Step != n.Step,
            TimerKind.Release => n.Status != NotificationStatus.Held || timer.Step != n.HoldStep,
            _ => false,
        };
        if (stale)
            return b.Build(n); // already handled (seen, expired, released, or this step was passed): just forget the timer

        if (timer.Kind == TimerKind.Expire || n!.IsExpired(now))
        {
            var change = b.Finish(details!, NotificationStatus.Expired, "expired", null, $"expired (TTL ended {n!.ExpiresAt:O}) before anyone saw it", TraceKind.Expired);
            change.FiredTimer = timer.Id;
            b.Replace(change);
            b.Effects.Add(new RecordUnanswered(n.Id, null, OutcomeKind.Expired, now));
            b.AddEvent(change, n, WebhookEventTypes.Expired);
            return b.Build(change.Update);
        }

        // The end of a device hold is the end of its step's wait: no device was ready, so the rule moves on.
        var giveUp = timer.Kind == TimerKind.Release && n.Hold == HoldKind.Device;
        var why = giveUp ? $"step {timer.Step + 1}'s wait ran out before a device was ready: following up"
            : timer.Kind == TimerKind.Release ? $"hold over ({(n.Hold is { } h ? Names.Of(h) : "hold")}): deciding step {timer.Step + 1} again"
            : timer.Attempt > 0 ? $"unseen after step {timer.Step + 1}'s wait: repeat {timer.Attempt} of {timer.Step + 1}"
            : $"unseen after step {timer.Step + 1}'s wait: following up";
        var fromStep = giveUp || (timer.Kind == TimerKind.FollowUp && timer.Attempt == 0) ? timer.Step + 1 : timer.Step;
        if (timer.Kind == TimerKind.FollowUp) b.Effects.Add(new RecordUnanswered(n.Id, timer.Step, OutcomeKind.FollowedUp, now));
        var updated = b.DecideAgain(details!, user, devices, rule, why, fromStep, giveUp ? 0 : timer.Attempt,
            deferralOver: timer.Kind == TimerKind.Release && n.Hold == HoldKind.Timer ? timer.Step : null);
        return b.Build(updated ?? n);
    }

    /// <summary>A device acknowledged the notification: it is final, its follow-ups are cancelled and every other device
    /// that shows it is told to clear it. Null when the notification is already final.</summary>
    public static Plan Acknowledge(NotificationDetails details, Device device, AckAction action, PlanContext ctx)
    {
        var n = details.Notification;
        if (n.Status.IsFinal()) return Plan.Nothing with { Notification = n };
        var now = ctx.Now;
        var b = new Builder(n.Id, ctx);
        var reason = action == AckAction.Dismissed ? "dismissed" : "seen-elsewhere";
        var change = b.Finish(details, action.ToStatus(), reason, device.Id, $"{Names.Of(action)} on {device.Name ?? device.Id}; follow-ups cancelled", TraceKind.Acknowledged);
        change.Update = change.Update! with { AcknowledgedAt = now, AcknowledgedBy = device.Id };
        b.Replace(change);
        b.AddEvent(change, n, WebhookEventTypes.Seen, new() { ["action"] = Names.Of(action), ["deviceId"] = device.Id });
        // The user's response time on the device that had it: since the latest delivery there that reached it.
        var reached = details.Deliveries.Where(d => d.DeviceId == device.Id && d.SentAt is not null).MaxBy(d => d.SentAt);
        b.Effects.Add(new RecordResponse(n.Id, n.AppId, n.UserId, device.Id, action, now, reached is null ? null : now - reached.SentAt!.Value));
        return b.Build(change.Update);
    }

    /// <summary>Decides a held notification again now, because something it waits on may have changed: a device reported
    /// (a hold until a device is ready) or the user's quiet hours or snooze changed. When <paramref name="onlyIfReleased"/>
    /// and the decision is to hold again the same way, nothing changes (a device report that does not make one ready).</summary>
    public static Plan Redecide(NotificationDetails details, User? user, IReadOnlyList<DeviceSnapshot> devices, Rule? rule, string why,
        bool onlyIfReleased, PlanContext ctx)
    {
        var n = details.Notification;
        if (n.Status != NotificationStatus.Held || n.IsExpired(ctx.Now)) return Plan.Nothing with { Notification = n };
        var b = new Builder(n.Id, ctx);
        var updated = b.DecideAgain(details, user, devices, rule, why, n.HoldStep, 0, null, heldAgainIsNothing: onlyIfReleased ? n.Hold : null);
        return b.Change.Update is null && b.Change.NewTimers.Count == 0 ? Plan.Nothing with { Notification = n } : b.Build(updated ?? n);
    }

    /// <summary>A provider's final answer for a pending push or email delivery, or giving up on it (<paramref name="failure"/>):
    /// the delivery is sent, or failed and, when none of its step can still reach anyone, the next step is taken at once.
    /// <paramref name="attempt"/> is the provider call to record (none when giving up without a call).</summary>
    public static Plan Settle(NotificationDetails? details, SendJob job, SendAttempt? attempt, SendResult? result, string? failure,
        User? user, IReadOnlyList<DeviceSnapshot> devices, Rule? rule, PlanContext ctx)
    {
        var now = ctx.Now;
        var b = new Builder(job.NotificationId, ctx);
        if (attempt is not null) b.Change.Attempts.Add(attempt);
        var delivery = details?.Deliveries.FirstOrDefault(d => d.Id == job.DeliveryId);
        if (details is null || delivery is null || delivery.Status != DeliveryStatus.Pending)
            // Settled meanwhile (acknowledged elsewhere, dropped at expiry): keep the record of the call only.
            return b.Change.Attempts.Count > 0 ? b.Build(details?.Notification) : Plan.Nothing;

        var n = details.Notification;
        var change = b.Change;
        var via = $"{Names.Of(delivery.Channel)} via {result?.Provider ?? (delivery.Channel == Channel.Email ? "email" : "push")}";
        if (failure is null)
        {
            var id = result?.MessageId is { } messageId ? $" (id {messageId})" : "";
            change.DeliveryUpdates.Add(new DeliveryUpdate(delivery.Id, DeliveryStatus.Sent, now, $"accepted by {result!.Provider}{id}"));
            change.Trace.Add(new TraceEntry(now, delivery.Step, delivery.DeviceId, $"{via}: accepted{id}", TraceKind.Sent));
            b.AddEvent(change, n, WebhookEventTypes.Delivered, DeliveryFields(delivery));
            if (n.Status == NotificationStatus.Scheduled)
            {
                change.Update = n with { Status = NotificationStatus.Delivered };
                change.ExpectedStatus = n.Status;
            }
            return b.Build(change.Update ?? n);
        }

        change.DeliveryUpdates.Add(new DeliveryUpdate(delivery.Id, DeliveryStatus.Failed, null, failure));
        change.Trace.Add(new TraceEntry(now, delivery.Step, delivery.DeviceId, $"{via}: failed: {failure}", TraceKind.Failed));
        var failed = DeliveryFields(delivery);
        failed["reason"] = failure;
        b.AddEvent(change, n, WebhookEventTypes.Failed, failed);

        // The step is over when none of its deliveries can still reach anyone: take the next step now.
        var stepOpen = details.Deliveries.Any(d => d.Id != delivery.Id && d.Step == delivery.Step &&
            d.Status is DeliveryStatus.Pending or DeliveryStatus.Sent or DeliveryStatus.Acknowledged);
        if (n.Step != delivery.Step || stepOpen || n.IsExpired(now)) return b.Build(n);

        var settled = details with { Deliveries = [.. details.Deliveries.Select(d => d.Id == delivery.Id ? d with { Status = DeliveryStatus.Failed } : d)] };
        var updated = b.DecideAgain(settled, user, devices, rule, $"step {delivery.Step + 1} failed: following up at once", delivery.Step + 1, 0, null);
        var reachedAnyone = settled.Deliveries.Any(d => d.Status is DeliveryStatus.Sent or DeliveryStatus.Acknowledged or DeliveryStatus.Cleared);
        var movedOn = change.Update is { } u && (u.Step != n.Step || u.Status == NotificationStatus.Held);
        if (movedOn || reachedAnyone) return b.Build(updated ?? n);

        var final = b.Finish(settled, NotificationStatus.Failed, "failed", null, "failed: no step could reach the user", TraceKind.NoStep);
        final.Attempts.AddRange(change.Attempts);
        final.DeliveryUpdates.InsertRange(0, change.DeliveryUpdates);
        final.Trace.InsertRange(0, change.Trace);
        final.Events.AddRange(change.Events);
        b.AddEvent(final, n, WebhookEventTypes.Failed, new() { ["reason"] = "no step could reach the user" });
        b.Replace(final);
        return b.Build(final.Update);
    }

    /// <summary>A device connected: every in-app delivery still open for it is sent again (the SDK de-duplicates by id);
    /// pending ones are recorded as sent first. <paramref name="lastEventId"/> is an SSE client's <c>Last-Event-ID</c>.
    /// During the <paramref name="user"/>'s quiet hours what was decided before them arrives silently (unless its priority
    /// is allowed through): a laptop opened at 23:00 does not ring for a message decided at 21:00.</summary>
    public static Plan Resend(string deviceId, IReadOnlyList<OpenDelivery> open, string? lastEventId, PlanContext ctx, User? user = null)
    {
        var now = ctx.Now;
        var quiet = user is null ? null
            : QuietHours.QuietHoursCalculator.At(user, now);
        var changes = new List<NotificationChange>();
        var effects = new List<Effect>();
        foreach (var (delivery, n) in open)
        {
            if (lastEventId is not null && delivery.Status == DeliveryStatus.Sent && string.CompareOrdinal(delivery.Id, lastEventId) <= 0) continue;
            var silent = delivery.Silent || (quiet is { IsQuiet: true } && !QuietHours.QuietHoursCalculator.Allows(user!.QuietHours, n.Priority));
            effects.Add(new SendToDevice(n.Id, deviceId, new NotificationMessage(NotificationPayload.From(n, silent, delivery.Attempt)), delivery.Id));
            if (delivery.Status != DeliveryStatus.Pending) continue;
            var change = new NotificationChange(n.Id);
            change.DeliveryUpdates.Add(new DeliveryUpdate(delivery.Id, DeliveryStatus.Sent, now, "sent when the device connected"));
            change.Trace.Add(new TraceEntry(now, delivery.Step, deviceId, "device connected: sent in-app", TraceKind.Sent));
            if (ctx.Options.WebhookApps.Contains(n.AppId))
                change.Events.Add(Event(n, WebhookEventTypes.Delivered, now, ctx.Id("evt"), DeliveryFields(delivery)));
            if (n.Status == NotificationStatus.Scheduled)
            {
                change.Update = n with { Status = NotificationStatus.Delivered };
                change.ExpectedStatus = NotificationStatus.Scheduled;
            }
            changes.Add(change);
        }
        return new Plan(changes, effects);
    }

    /// <summary>Who gets it first and why, as notify answers it: delivered, or queued for push or email, now; held until
    /// the hold ends (unless the TTL ends first).</summary>
    public static DecisionSummary Summary(Notification n, Decision decision, DateTimeOffset now)
    {
        var deliverAt = n.Status == NotificationStatus.Delivered || (decision.Found && decision.Channel != Channel.InApp) ? now
            : decision.Hold?.Until is { } until && until < n.ExpiresAt ? until : (DateTimeOffset?)null;
        return new DecisionSummary(decision.Targets.FirstOrDefault()?.Device.Id, decision.Channel, deliverAt, decision.Reason);
    }

    private static Decision Decide(Notification n, User user, IReadOnlyList<DeviceSnapshot> devices, Rule rule, int fromStep,
        IReadOnlyCollection<(string, Channel)> reached, PlanContext ctx, int? deferralOver, bool isRepeat) =>
        DecisionEngine.Decide(new DecisionInput(n, user, devices, rule, fromStep, reached, ctx.Options.EnabledChannels, ctx.Now)
        {
            PushProviders = ctx.Options.PushProviders,
            DeferralOver = deferralOver,
            IsRepeat = isRepeat,
            ResponseScoreFor = ctx.Scoring?.For(n, user, ctx.Now),
            TypicalResponse = ctx.TypicalResponse,
            PresenceStaleAfter = ctx.Options.PresenceStaleAfter,
        });

    private static JsonObject DeliveryFields(Delivery d) => new()
    {
        ["deliveryId"] = d.Id,
        ["channel"] = Names.Of(d.Channel),
        ["deviceId"] = d.DeviceId,
        ["step"] = d.Step + 1,
    };

    private static WebhookEvent Event(Notification n, string type, DateTimeOffset now, string id, JsonObject? fields)
    {
        var data = new JsonObject
        {
            ["notificationId"] = n.Id,
            ["userId"] = n.UserId,
            ["category"] = n.Category,
        };
        if (fields is not null)
            foreach (var (key, value) in fields.ToList())
                if (value is not null) data[key] = value.DeepClone();
        return new WebhookEvent(id, n.AppId, type, now, data);
    }

    /// <summary>Collects one plan: the notification's change (plus others, such as collapsed ones) and the effects.</summary>
    private sealed class Builder(string notificationId, PlanContext ctx)
    {
        public NotificationChange Change { get; private set; } = new(notificationId);
        public List<NotificationChange> Others { get; } = [];
        public List<Effect> Effects { get; } = [];
        private DateTimeOffset Now => ctx.Now;

        public void Replace(NotificationChange change) => Change = change;

        /// <summary>The decision taken by <see cref="DecideAgain"/>, if any.</summary>
        public Decision? Decision { get; private set; }

        public Plan Build(Notification? state) => new Plan([Change, .. Others], Effects) { Notification = state, Decision = Decision };

        public void AddEvent(NotificationChange change, Notification n, string type, JsonObject? fields = null)
        {
            if (ctx.Options.WebhookApps.Contains(n.AppId)) change.Events.Add(Event(n, type, Now, ctx.Id("evt"), fields));
        }

        /// <summary>Decides again from <paramref name="fromStep"/> and applies it to <see cref="Change"/>; returns the new state
        /// (null when unchanged). With <paramref name="heldAgainIsNothing"/>, a decision to hold again that way changes nothing.</summary>
        public Notification? DecideAgain(NotificationDetails details, User? user, IReadOnlyList<DeviceSnapshot> devices, Rule? rule, string why,
            int fromStep, int attempt, int? deferralOver, HoldKind? heldAgainIsNothing = null)
        {
            var n = details.Notification;
            if (rule is null || user is null)
            {
                Change.Trace.Add(new TraceEntry(Now, fromStep, null, rule is null
                    ? $"{why}: skipped, rule version {n.RuleVersion} is no longer known"
                    : $"{why}: skipped, the user was deleted", TraceKind.Redecided));
                return null;
            }
            var reached = details.Deliveries.Where(d => d.DeviceId is not null && d.Status != DeliveryStatus.Failed).Select(d => (d.DeviceId!, d.Channel)).ToHashSet();
            var decision = Decide(n, user, devices, rule, fromStep, reached, ctx, deferralOver, isRepeat: attempt > 0);
            Decision = decision;
            if (heldAgainIsNothing is { } kind && decision.Hold?.Kind == kind && kind == HoldKind.Device) return null;
            Change.Trace.Add(new TraceEntry(Now, fromStep, null, why, TraceKind.Redecided));
            var updated = Apply(n, decision, user, rule, isFollowUp: true, attempt, deferralOver);
            if (updated == n) return null;
            Change.Update = updated;
            Change.ExpectedStatus = n.Status;
            return updated;
        }

        /// <summary>Applies a decision to the notification: its deliveries, the follow-up or release timer, the effects.</summary>
        public Notification Apply(Notification n, Decision decision, User user, Rule rule, bool isFollowUp, int attempt = 0, int? deferralOver = null)
        {
            var change = Change;
            change.Trace.AddRange(decision.Trace);
            if (decision.Suppressed) return n with { Status = NotificationStatus.Suppressed };
            if (decision.Hold is { } hold)
            {
                var until = hold.Until ?? hold.GiveUpAt;
                if (until is { } at && at < n.ExpiresAt)
                    change.NewTimers.Add(new TimerRecord(ctx.Id("tmr"), n.Id, TimerKind.Release, hold.Step, at, attempt));
                if (hold.Kind == HoldKind.Device) Effects.Add(new WatchDevices(n.Id, n.AppId, n.UserId));
                // A step whose 'defer: for' is over but which now falls in quiet hours waits for their end only: keep it
                // marked as a timer hold so the release does not start the deferral again.
                var kind = hold.Kind == HoldKind.QuietHours && deferralOver == hold.Step ? HoldKind.Timer : hold.Kind;
                return n with { Status = NotificationStatus.Held, Hold = kind, HoldStep = hold.Step };
            }
            if (!decision.Found)
            {
                if (!isFollowUp)
                {
                    AddEvent(change, n, WebhookEventTypes.Failed, new() { ["reason"] = decision.Reason });
                    return n with { Status = NotificationStatus.Failed };
                }
                return n.Status == NotificationStatus.Held
                    ? n with { Status = n.Step >= 0 ? NotificationStatus.Delivered : NotificationStatus.Failed, Hold = null }
                    : n;
            }

            var step = decision.Step!.Value;
            var anySent = false;
            var message = new NotificationMessage(NotificationPayload.From(n, decision.Silent, attempt));
            if (isFollowUp && (step != n.Step || attempt > 0))
                AddEvent(change, n, WebhookEventTypes.Escalated, new()
                {
                    ["fromStep"] = n.Step >= 0 ? n.Step + 1 : null, ["toStep"] = step + 1, ["channel"] = Names.Of(decision.Channel!.Value),
                    ["repeat"] = attempt > 0 ? attempt : null,
                });
            var prefix = (decision.Silent ? "silent; " : "") + (attempt > 0 ? $"repeat {attempt}; " : "");
            if (decision.Channel != Channel.InApp)
            {
                // Push and email go through the dispatcher: the pending delivery is the durable record of the send to make.
                foreach (var (deviceId, provider) in decision.ToUser ? [(null, "email")] : decision.Targets.Select(t => ((string?)t.Device.Id, t.Device.Push!.Provider)))
                {
                    var queued = new Delivery(ctx.Id("dlv"), n.Id, step, deviceId, decision.Channel!.Value, DeliveryStatus.Pending, Now, null, prefix + $"queued for {provider}")
                    {
                        Silent = decision.Silent,
                        Attempt = attempt,
                    };
                    change.NewDeliveries.Add(queued);
                    Effects.Add(new Dispatch(n.Id, new SendJob(n.Id, queued.Id)));
                }
            }
            else foreach (var target in decision.Targets)
            {
                var online = target.State.Online;
                var reason = prefix + (online ? "" : "device offline: sent when it connects");
                var delivery = new Delivery(ctx.Id("dlv"), n.Id, step, target.Device.Id, decision.Channel!.Value,
                    online ? DeliveryStatus.Sent : DeliveryStatus.Pending, Now, online ? Now : null, reason.Length > 0 ? reason.TrimEnd(' ', ';') : null)
                {
                    Silent = decision.Silent,
                    Attempt = attempt,
                };
                change.NewDeliveries.Add(delivery);
                if (online)
                {
                    Effects.Add(new SendToDevice(n.Id, target.Device.Id, message, delivery.Id));
                    AddEvent(change, n, WebhookEventTypes.Delivered, DeliveryFields(delivery));
                }
                anySent |= online;
            }
            if ((decision.Wait ?? rule.Steps[step].Wait) is { } wait)
            {
                var due = Now + wait;
                var next = step + 1 < rule.Steps.Length ? 0 : attempt < rule.Repeat ? attempt + 1 : -1;
                if (next >= 0 && due < n.ExpiresAt)
                    change.NewTimers.Add(new TimerRecord(ctx.Id("tmr"), n.Id, TimerKind.FollowUp, step, due, next));
            }
            var status = anySent || n.Status == NotificationStatus.Delivered || (n.Status == NotificationStatus.Held && n.Step >= 0)
                ? NotificationStatus.Delivered : NotificationStatus.Scheduled;
            var updated = n with { Status = status, Step = step, Hold = null };
            Effects.Add(new RecordDecided(n.Id, user, n, rule, decision, [.. change.NewDeliveries.Where(d => d.Step == step)], Now));
            return updated;
        }

        /// <summary>Makes a notification final: drops what was not sent, clears what was, cancels its timers.</summary>
        public NotificationChange Finish(NotificationDetails details, NotificationStatus status, string clearReason, string? byDevice,
            string message, TraceKind kind)
        {
            var n = details.Notification;
            var change = new NotificationChange(n.Id) { Update = n with { Status = status }, ExpectedStatus = n.Status, DeleteAllTimers = true };
            foreach (var d in details.Deliveries)
            {
                if (d.DeviceId is not null && d.DeviceId == byDevice)
                    change.DeliveryUpdates.Add(new DeliveryUpdate(d.Id, DeliveryStatus.Acknowledged, d.SentAt, message));
                else if (d.Status == DeliveryStatus.Sent)
                {
                    change.DeliveryUpdates.Add(new DeliveryUpdate(d.Id, DeliveryStatus.Cleared, d.SentAt, clearReason));
                    if (d.Channel == Channel.InApp && d.DeviceId is not null) Effects.Add(new SendToDevice(n.Id, d.DeviceId, new ClearMessage(n.Id, clearReason), null));
                    if (d.Channel == Channel.Push && d.DeviceId is not null) Effects.Add(new Dispatch(n.Id, new ClearJob(n.Id, d.Id, d.DeviceId, clearReason)));
                }
                else if (d.Status == DeliveryStatus.Pending)
                    change.DeliveryUpdates.Add(new DeliveryUpdate(d.Id, DeliveryStatus.Dropped, null, clearReason));
            }
            change.Trace.Add(new TraceEntry(Now, null, byDevice, message, kind));
            return change;
        }
    }
}
