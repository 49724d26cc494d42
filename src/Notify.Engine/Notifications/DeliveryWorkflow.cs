using System.Text.Json;
using Microsoft.Extensions.Logging;
using Notify.Engine.Channels;
using Notify.Engine.Decisions;
using Notify.Engine.Devices;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Engine.Timers;

namespace Notify.Engine.Notifications;

/// <summary>
/// The life of a notification: accept (decide, store, send), follow up when unseen, clear everywhere when
/// seen, expire at the TTL, and re-send to a device when it reconnects. Each step stores its effects in one
/// commit before anything is sent, so a crash never loses an accepted notification or fires a timer twice
/// with effect. Work on one notification is serialized; different notifications run in parallel.
/// </summary>
public sealed partial class DeliveryWorkflow(INotifyStore store, RuleSet rules, DeviceStateTracker devices, IRealtimeSender realtime,
    DispatchQueue dispatch, TimerSchedule schedule, DeliveryOptions options, NotifyMetrics metrics, TimeProvider time, ILogger<DeliveryWorkflow> logger,
    ResponseScoring? scoring = null, IOutcomeRecorder? outcomes = null, ResponseTimes? responseTimes = null)
{
    private readonly KeyedLock _locks = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string AppId, string UserId), byte> _deviceHolds = new();

    public async Task<AcceptOutcome> AcceptAsync(string appId, NotifyCommand command, CancellationToken ct = default)
    {
        var now = time.UtcNow();
        if (command.IdempotencyKey is { } key &&
            await store.FindIdempotencyAsync(appId, key, now - options.IdempotencyWindow, ct) is { } hit)
            return new AcceptOutcome.Duplicate(hit.NotificationId, hit.ResponseJson);

        var user = await store.GetUserAsync(appId, command.UserId, ct);
        if (user is null)
            return new AcceptOutcome.Refused(404, "user-not-found", $"There is no user '{command.UserId}'. Create it first with PUT /v1/users/{command.UserId}.");
        var rule = rules.Match(command.Category);
        if (rule is null)
            return new AcceptOutcome.Refused(422, "unknown-category",
                $"No rule serves the category '{command.Category}' and there is no 'default' rule. Known categories: {string.Join(", ", rules.Rules.Values.SelectMany(r => r.Categories).Order())}.");
        var ttl = command.Ttl ?? rule.Ttl ?? options.DefaultTtl;
        if (ttl > options.MaxTtl) ttl = options.MaxTtl;

        var notification = new Notification
        {
            Id = Ids.New("ntf", now),
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

        var snapshots = devices.Snapshots(await store.GetDevicesAsync(appId, user.Id, ct));
        var decision = DecisionEngine.Decide(new DecisionInput(notification, user, snapshots, rule, 0, [], options.EnabledChannels, now)
        {
            PushProviders = options.PushProviders,
            ResponseScoreFor = scoring?.For(notification, user, now),
            SkipBelow = scoring?.SkipBelow,
            TypicalResponse = responseTimes?.Typical(appId, user.Id),
        });
        var change = new NotificationChange(notification.Id);
        var sends = new List<Send>();
        notification = ApplyDecision(notification, decision, change, sends, now, isFollowUp: false);
        outcomes.Decided(user, notification, rule, decision, change.NewDeliveries, now);
        if (!notification.Status.IsFinal())
            change.NewTimers.Add(new TimerRecord(Ids.New("tmr", now), notification.Id, TimerKind.Expire, -1, notification.ExpiresAt));

        var changes = new List<NotificationChange> { change };
        if (command.CollapseKey is { } collapseKey)
            foreach (var older in await store.FindOpenByCollapseKeyAsync(appId, user.Id, collapseKey, ct))
                changes.Add(Finish(older, NotificationStatus.Collapsed, "collapsed", null, $"replaced by {notification.Id} (same collapse key '{collapseKey}')", sends, now));

        var first = decision.Targets.FirstOrDefault();
        var result = new NotifyResult(notification.Id, notification.Status, new DecisionSummary(
            first?.Device.Id, decision.Channel,
            notification.Status == NotificationStatus.Delivered || (decision.Found && decision.Channel != Channel.InApp) ? now : decision.Hold?.Until is { } until && until < notification.ExpiresAt ? until : null,
            decision.Reason));
        change.Insert = notification;
        change.IdempotentSince = now - options.IdempotencyWindow;
        change.ResponseJson = JsonSerializer.Serialize(result, EngineJson.Options);

        var commit = await CommitAsync(changes, ct);
        if (commit.IsDuplicate)
            return new AcceptOutcome.Duplicate(commit.DuplicateOfNotificationId!, commit.DuplicateResponseJson!);
        await AfterCommitAsync(changes, sends, commit, ct);
        metrics.Accepted(notification.Status);
        return new AcceptOutcome.Accepted(result, change.Trace);
    }

    /// <summary>A device acknowledged a notification: stop the chain and clear it on every other device.</summary>
    public async Task<AckOutcome> AcknowledgeAsync(Device device, string notificationId, AckAction action, CancellationToken ct = default)
    {
        using var _ = await _locks.AcquireAsync(notificationId, ct);
        var details = await store.GetNotificationAsync(notificationId, ct);
        if (details is null || details.Notification.AppId != device.AppId || details.Notification.UserId != device.UserId)
            return new AckOutcome.NotFound();
        var n = details.Notification;
        if (n.Status.IsFinal()) return new AckOutcome.Done(n.Id, n.Status);

        var now = time.UtcNow();
        var sends = new List<Send>();
        var reason = action == AckAction.Dismissed ? "dismissed" : "seen-elsewhere";
        var change = Finish(details, action.ToStatus(), reason, device.Id,
            $"{Names.Of(action)} on {device.Name ?? device.Id}; follow-ups cancelled", sends, now);
        change.Update = change.Update! with { AcknowledgedAt = now, AcknowledgedBy = device.Id };
        AddEvent(change, n, WebhookEventTypes.Seen, now, new() { ["action"] = Names.Of(action), ["deviceId"] = device.Id });
        var commit = await CommitAsync([change], ct);
        if (commit.Skipped?.Contains(n.Id) != true)
        {
            outcomes?.Responded(n.Id, device.Id, action, now);
            // The user's response time on the device that had it (the latest delivery there that reached it).
            if (responseTimes is not null && details.Deliveries.Where(d => d.DeviceId == device.Id && d.SentAt is not null).MaxBy(d => d.SentAt) is { } reached)
                responseTimes.Observe(n.AppId, n.UserId, now - reached.SentAt!.Value);
        }
        await AfterCommitAsync([change], sends, commit, ct);
        return new AckOutcome.Done(n.Id, change.Update.Status);
    }

    /// <summary>Fires a durable timer: a follow-up, a repeat, the end of a hold, or an expiry.</summary>
    public async Task FireAsync(TimerRecord timer, CancellationToken ct = default)
    {
        using var _ = await _locks.AcquireAsync(timer.NotificationId, ct);
        var now = time.UtcNow();
        var details = await store.GetNotificationAsync(timer.NotificationId, ct);
        var change = new NotificationChange(timer.NotificationId);
        change.FiredTimer = timer.Id;
        var sends = new List<Send>();
        var n = details?.Notification;
        var stale = n is null || n.Status.IsFinal() || timer.Kind switch
        {
            TimerKind.FollowUp => n.Status == NotificationStatus.Held || timer.Step != n.Step,
            TimerKind.Release => n.Status != NotificationStatus.Held || timer.Step != n.HoldStep,
            _ => false,
        };

        if (stale)
        {
            // Already handled (seen, expired, released, or this step was passed): just forget the timer.
        }
        else if (timer.Kind == TimerKind.Expire || n!.IsExpired(now))
        {
            change = Finish(details!, NotificationStatus.Expired, "expired", null, $"expired (TTL ended {n!.ExpiresAt:O}) before anyone saw it", sends, now);
            outcomes?.Unanswered(n.Id, null, OutcomeKind.Expired, now);
            change.FiredTimer = timer.Id;
            AddEvent(change, n, WebhookEventTypes.Expired, now);
        }
        else
        {
            var why = timer.Kind == TimerKind.Release
                ? $"hold over ({(n.Hold is { } h ? Names.Of(h) : "hold")}): deciding step {timer.Step + 1} again"
                : timer.Attempt > 0 ? $"unseen after step {timer.Step + 1}'s wait: repeat {timer.Attempt} of {timer.Step + 1}"
                : $"unseen after step {timer.Step + 1}'s wait: following up";
            var fromStep = timer.Kind == TimerKind.Release || timer.Attempt > 0 ? timer.Step : timer.Step + 1;
            if (timer.Kind == TimerKind.FollowUp) outcomes?.Unanswered(n.Id, timer.Step, OutcomeKind.FollowedUp, now);
            await DecideAgainAsync(details!, change, sends, now, why, fromStep, timer.Attempt,
                deferralOver: timer.Kind == TimerKind.Release && n.Hold == HoldKind.Timer ? timer.Step : null, ct);
        }

        var commit = await CommitAsync([change], ct);
        await AfterCommitAsync([change], sends, commit, ct);
    }

    /// <summary>A device reported its state: decide again the user's notifications held until a device is ready.</summary>
    public async Task DeviceChangedAsync(Device device, CancellationToken ct = default)
    {
        if (!_deviceHolds.ContainsKey((device.AppId, device.UserId))) return;
        var held = await store.GetHeldAsync(device.AppId, device.UserId, ct);
        if (held.All(h => h.Notification.Hold != HoldKind.Device)) _deviceHolds.TryRemove((device.AppId, device.UserId), out _);
        foreach (var candidate in held.Where(h => h.Notification.Hold == HoldKind.Device))
        {
            using var _ = await _locks.AcquireAsync(candidate.Notification.Id, ct);
            var now = time.UtcNow();
            var details = await store.GetNotificationAsync(candidate.Notification.Id, ct);
            if (details?.Notification is not { Status: NotificationStatus.Held, Hold: HoldKind.Device } n || n.IsExpired(now)) continue;
            var change = new NotificationChange(n.Id);
            var sends = new List<Send>();
            await DecideAgainAsync(details, change, sends, now, $"{device.Name ?? device.Id} reported: deciding step {n.HoldStep + 1} again",
                n.HoldStep, 0, null, ct, traceOnlyIfFound: true);
            if (change.Update is null) continue;
            var commit = await CommitAsync([change], ct);
            await AfterCommitAsync([change], sends, commit, ct);
        }
    }

    /// <summary>Loads which users have notifications held for a device (at start; later holds add themselves).</summary>
    public async Task LoadDeviceHoldsAsync(CancellationToken ct = default)
    {
        foreach (var key in await store.GetUsersWithDeviceHoldsAsync(ct)) _deviceHolds[key] = 0;
    }

    private async Task DecideAgainAsync(NotificationDetails details, NotificationChange change, List<Send> sends, DateTimeOffset now, string why,
        int fromStep, int attempt, int? deferralOver, CancellationToken ct, bool traceOnlyIfFound = false)
    {
        var n = details.Notification;
        var rule = await FindRuleAsync(n, ct);
        var user = await store.GetUserAsync(n.AppId, n.UserId, ct);
        if (rule is null || user is null)
        {
            change.Trace.Add(new TraceEntry(now, fromStep, null, rule is null
                ? $"{why}: skipped, rule version {n.RuleVersion} is no longer known"
                : $"{why}: skipped, the user was deleted"));
            return;
        }
        var snapshots = devices.Snapshots(await store.GetDevicesAsync(n.AppId, n.UserId, ct));
        var reached = details.Deliveries.Where(d => d.DeviceId is not null && d.Status != DeliveryStatus.Failed).Select(d => (d.DeviceId!, d.Channel)).ToHashSet();
        var decision = DecisionEngine.Decide(new DecisionInput(n, user, snapshots, rule, fromStep, reached, options.EnabledChannels, now)
        {
            PushProviders = options.PushProviders,
            DeferralOver = deferralOver,
            IsRepeat = attempt > 0,
            ResponseScoreFor = scoring?.For(n, user, now),
            SkipBelow = scoring?.SkipBelow,
            TypicalResponse = responseTimes?.Typical(n.AppId, n.UserId),
        });
        if (traceOnlyIfFound && decision.Hold?.Kind == HoldKind.Device) return;
        change.Trace.Add(new TraceEntry(now, fromStep, null, why));
        var updated = ApplyDecision(n, decision, change, sends, now, isFollowUp: true, attempt, deferralOver);
        outcomes.Decided(user, n, rule, decision, change.NewDeliveries, now);
        if (updated != n)
        {
            change.Update = updated;
            change.ExpectedStatus = n.Status;
        }
    }

    /// <summary>A device connected: send it every in-app notification still open for it.</summary>
    /// <param name="lastEventId">An SSE client's <c>Last-Event-ID</c>: deliveries it already received are skipped.</param>
    public async Task ResendOpenAsync(string deviceId, string? lastEventId, CancellationToken ct = default)
    {
        var now = time.UtcNow();
        var open = await store.GetOpenInAppDeliveriesAsync(deviceId, now, ct);
        var toSend = new List<OpenDelivery>();
        var changes = new List<NotificationChange>();
        foreach (var item in open)
        {
            var (delivery, n) = item;
            if (lastEventId is not null && delivery.Status == DeliveryStatus.Sent && string.CompareOrdinal(delivery.Id, lastEventId) <= 0) continue;
            toSend.Add(item);
            if (delivery.Status != DeliveryStatus.Pending) continue;
            var change = new NotificationChange(n.Id);
            change.DeliveryUpdates.Add(new DeliveryUpdate(delivery.Id, DeliveryStatus.Sent, now, "sent when the device connected"));
            change.Trace.Add(new TraceEntry(now, delivery.Step, deviceId, "device connected: sent in-app"));
            AddEvent(change, n, WebhookEventTypes.Delivered, now, DeliveryFields(delivery));
            if (n.Status == NotificationStatus.Scheduled)
            {
                change.Update = n with { Status = NotificationStatus.Delivered };
                change.ExpectedStatus = NotificationStatus.Scheduled;
            }
            changes.Add(change);
        }
        // Recorded as sent before sending: if the connection drops now, the next connect sends it again anyway.
        if (changes.Count > 0) await store.CommitAsync(changes, ct);
        foreach (var (delivery, n) in toSend)
            if (!await realtime.SendAsync(deviceId, new NotificationMessage(NotificationPayload.From(n, delivery.Silent, delivery.Attempt)), delivery.Id, ct)) break;
    }

    private Notification ApplyDecision(Notification n, Decision decision, NotificationChange change, List<Send> sends, DateTimeOffset now,
        bool isFollowUp, int attempt = 0, int? deferralOver = null)
    {
        change.Trace.AddRange(decision.Trace);
        if (decision.Suppressed) return n with { Status = NotificationStatus.Suppressed };
        if (decision.Hold is { } hold)
        {
            if (hold.Until is { } until && until < n.ExpiresAt)
                change.NewTimers.Add(new TimerRecord(Ids.New("tmr", now), n.Id, TimerKind.Release, hold.Step, until, attempt));
            if (hold.Kind == HoldKind.Device) _deviceHolds[(n.AppId, n.UserId)] = 0;
            // A step whose 'defer: for' is over but which now falls in quiet hours waits for their end only: keep it
            // marked as a timer hold so the release does not start the deferral again.
            var kind = hold.Kind == HoldKind.QuietHours && deferralOver == hold.Step ? HoldKind.Timer : hold.Kind;
            return n with { Status = NotificationStatus.Held, Hold = kind, HoldStep = hold.Step };
        }
        if (!decision.Found)
        {
            if (!isFollowUp)
            {
                AddEvent(change, n, WebhookEventTypes.Failed, now, new() { ["reason"] = decision.Reason });
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
            AddEvent(change, n, WebhookEventTypes.Escalated, now, new()
            {
                ["fromStep"] = n.Step >= 0 ? n.Step + 1 : null, ["toStep"] = step + 1, ["channel"] = Names.Of(decision.Channel!.Value),
                ["repeat"] = attempt > 0 ? attempt : null,
            });
        if (decision.Channel != Channel.InApp)
        {
            // Push and email go through the dispatcher: the pending delivery is the durable record of the send to make.
            foreach (var (deviceId, provider) in decision.ToUser ? [(null, "email")] : decision.Targets.Select(t => ((string?)t.Device.Id, t.Device.Push!.Provider)))
            {
                var queued = new Delivery(Ids.New("dlv", now), n.Id, step, deviceId, decision.Channel!.Value, DeliveryStatus.Pending, now, null,
                    (decision.Silent ? "silent; " : "") + (attempt > 0 ? $"repeat {attempt}; " : "") + $"queued for {provider}")
                {
                    Silent = decision.Silent,
                    Attempt = attempt,
                };
                change.NewDeliveries.Add(queued);
                sends.Add(new Send(n.Id, deviceId, null, null, new SendJob(n.Id, queued.Id)));
            }
        }
        else foreach (var target in decision.Targets)
        {
            var online = realtime.IsConnected(target.Device.Id);
            var reason = (decision.Silent ? "silent; " : "") + (attempt > 0 ? $"repeat {attempt}; " : "") + (online ? "" : "device offline: sent when it connects");
            var delivery = new Delivery(Ids.New("dlv", now), n.Id, step, target.Device.Id, decision.Channel!.Value,
                online ? DeliveryStatus.Sent : DeliveryStatus.Pending, now, online ? now : null, reason.Length > 0 ? reason.TrimEnd(' ', ';') : null)
            {
                Silent = decision.Silent,
                Attempt = attempt,
            };
            change.NewDeliveries.Add(delivery);
            if (online)
            {
                sends.Add(new Send(n.Id, target.Device.Id, message, delivery.Id));
                AddEvent(change, n, WebhookEventTypes.Delivered, now, DeliveryFields(delivery));
            }
            anySent |= online;
        }
        var rule = rules.FindVersion(n.RuleVersion);
        if (rule is not null && (decision.Wait ?? rule.Steps[step].Wait) is { } wait)
        {
            var due = now + wait;
            var next = step + 1 < rule.Steps.Length ? 0 : attempt < rule.Repeat ? attempt + 1 : -1;
            if (next >= 0 && due < n.ExpiresAt)
                change.NewTimers.Add(new TimerRecord(Ids.New("tmr", now), n.Id, TimerKind.FollowUp, step, due, next));
        }
        var status = anySent || n.Status == NotificationStatus.Delivered || (n.Status == NotificationStatus.Held && n.Step >= 0)
            ? NotificationStatus.Delivered : NotificationStatus.Scheduled;
        return n with { Status = status, Step = step, Hold = null };
    }

    /// <summary>Makes a notification final: drops what was not sent, clears what was, cancels its timers.</summary>
    private static NotificationChange Finish(NotificationDetails details, NotificationStatus status, string clearReason, string? byDevice,
        string message, List<Send> sends, DateTimeOffset now)
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
                if (d.Channel == Channel.InApp && d.DeviceId is not null) sends.Add(new Send(n.Id, d.DeviceId, new ClearMessage(n.Id, clearReason), null));
                if (d.Channel == Channel.Push && d.DeviceId is not null) sends.Add(new Send(n.Id, d.DeviceId, null, null, new ClearJob(n.Id, d.Id, d.DeviceId, clearReason)));
            }
            else if (d.Status == DeliveryStatus.Pending)
                change.DeliveryUpdates.Add(new DeliveryUpdate(d.Id, DeliveryStatus.Dropped, null, clearReason));
        }
        change.Trace.Add(new TraceEntry(now, null, byDevice, message));
        return change;
    }

    /// <summary>Commits changes whose new timers this node will hold (<see cref="AfterCommitAsync"/> adds them to the schedule):
    /// those due within the claim window are stored already leased to it, so they cost no claim query.</summary>
    private Task<CommitResult> CommitAsync(IReadOnlyList<NotificationChange> changes, CancellationToken ct)
    {
        if (changes.Any(c => c.NewTimers.Count > 0) && schedule.Lease is { } lease)
            foreach (var change in changes) change.NewTimersLease = lease;
        return store.CommitAsync(changes, ct);
    }

    private async Task AfterCommitAsync(IReadOnlyList<NotificationChange> changes, List<Send> sends, CommitResult commit, CancellationToken ct)
    {
        foreach (var change in changes)
        {
            if (commit.Skipped?.Contains(change.NotificationId) == true) continue;
            if (change.Update is { } final && final.Status.IsFinal() && change.DeleteAllTimers) metrics.Finished(final.Status);
            foreach (var group in change.NewDeliveries.GroupBy(d => d.Channel))
                metrics.Delivered(group.Key, change.Insert is null, group.Count());
            if (change.DeleteAllTimers) schedule.CancelNotification(change.NotificationId);
            else if (change.NewTimersLease is { } lease) schedule.Add(change.NewTimers.Where(t => t.DueAt < lease.DueBefore));
        }
        if (changes.Any(c => c.Events.Count > 0 && commit.Skipped?.Contains(c.NotificationId) != true)) dispatch.WebhooksAdded();
        foreach (var send in sends)
        {
            if (commit.Skipped?.Contains(send.NotificationId) == true) continue;
            if (send.Job is { } job)
            {
                dispatch.Enqueue(job);
                continue;
            }
            try
            {
                await realtime.SendAsync(send.DeviceId!, send.Message!, send.EventId, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The delivery is stored; the device gets it when it reconnects.
                LogSendFailed(e, send.DeviceId!);
            }
        }

        // A device that connected while this was decided (after it was seen offline, before the commit) read the
        // open deliveries too early to see the new pending one: send it now.
        var connectedSince = changes.SelectMany(c => c.NewDeliveries)
            .Where(d => d is { Status: DeliveryStatus.Pending, Channel: Channel.InApp, DeviceId: not null } && realtime.IsConnected(d.DeviceId!))
            .Select(d => d.DeviceId!).Distinct();
        foreach (var deviceId in connectedSince) await ResendOpenAsync(deviceId, null, ct);
    }

    private async Task<Rule?> FindRuleAsync(Notification n, CancellationToken ct)
    {
        if (rules.FindVersion(n.RuleVersion) is { } rule) return rule;
        if (await store.GetRuleVersionSourceAsync(n.RuleVersion, ct) is not { } source) return null;
        var parsed = RuleParser.Parse(source, n.RuleName);
        if (parsed.Rule is null) return null;
        rules.Remember(parsed.Rule);
        return rules.FindVersion(n.RuleVersion);
    }

    /// <summary>A message to send once the change that caused it is durable.</summary>
    /// <remarks>Either a realtime <see cref="Message"/> to a device, or a <see cref="Job"/> for the channel dispatcher.</remarks>
    private sealed record Send(string NotificationId, string? DeviceId, ServerMessage? Message, string? EventId, DispatchJob? Job = null);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending to device {DeviceId} failed; it is re-sent when the device reconnects")]
    private partial void LogSendFailed(Exception e, string deviceId);
}
