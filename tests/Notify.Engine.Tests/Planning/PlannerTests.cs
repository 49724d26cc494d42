using Notify.Engine.Channels;
using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Planning;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using static Notify.Engine.Tests.Decisions.DecisionTestKit;

namespace Notify.Engine.Tests.Planning;

/// <summary>The planner, directly: every branch of accept, fire, acknowledge, re-decide, settle and resend, as pure functions
/// of their inputs (no store, no clock). Ids are numbered so plans compare exactly.</summary>
public class PlannerTests
{
    private static readonly DateTimeOffset Noon = T("2026-12-01T12:00Z");

    private const string TwoSteps = """
        steps:
          - to: attention
            via: inApp
            wait: 2m
          - to: best
            via: push
            wait: 10m
          - to: user
            via: email
        """;

    private static PlanContext Ctx(DateTimeOffset? now = null, DeliveryOptions? options = null)
    {
        var n = 0;
        options ??= new DeliveryOptions();
        options.EnabledChannels.UnionWith([Channel.Push, Channel.Email]);
        options.PushProviders.UnionWith(["fcm", "apns"]);
        return new PlanContext(now ?? Noon, options) { NewId = prefix => $"{prefix}_{++n}" };
    }

    private static NotifyCommand Command(string category = "mention", TimeSpan? ttl = null, string? collapseKey = null, Priority? priority = null) =>
        new("ana", category, "Hi", null, null, priority, null, ttl, collapseKey);

    private static DeviceSnapshot Laptop(bool online = true, Presence presence = Presence.Active) =>
        Device("laptop", Noon, Platform.Desktop, online, presence, TimeSpan.FromSeconds(5), push: false);

    private static DeviceSnapshot Phone(bool online = false, TimeSpan? activeAgo = null) =>
        Device("phone", Noon, Platform.Ios, online, Presence.Idle, activeAgo ?? TimeSpan.FromMinutes(1));

    private static Plan Accept(string rule, params DeviceSnapshot[] devices) =>
        Planner.Accept("app", Command(), Ana(), devices, Parse(rule), [], Ctx());

    [Fact]
    public void Accept_OnlineActiveLaptop_DeliveredInApp_SendEffect_FollowUpAndExpiryTimers()
    {
        var plan = Accept(TwoSteps, Laptop(), Phone());

        Assert.Equal(NotificationStatus.Delivered, plan.Result!.Status);
        Assert.Equal("laptop", plan.Result.Decision!.DeviceId);
        var change = Assert.Single(plan.Changes);
        Assert.Equal(plan.Notification, change.Insert);
        var delivery = Assert.Single(change.NewDeliveries);
        Assert.Equal((DeliveryStatus.Sent, Channel.InApp, "laptop"), (delivery.Status, delivery.Channel, delivery.DeviceId));
        var send = Assert.Single(plan.Effects.OfType<SendToDevice>());
        Assert.Equal(("laptop", delivery.Id), (send.DeviceId, send.EventId));
        Assert.IsType<NotificationMessage>(send.Message);
        Assert.Equal([(TimerKind.FollowUp, 0, Noon.AddMinutes(2)), (TimerKind.Expire, -1, Noon.AddHours(24))],
            change.NewTimers.Select(t => (t.Kind, t.Step, t.DueAt)));
        Assert.Single(plan.Effects.OfType<RecordDecided>());
        Assert.Equal([TraceKind.Rule, TraceKind.Chosen], plan.Trace.Select(t => t.Kind).Where(k => k != TraceKind.PassedOver));
        Assert.NotNull(change.ResponseJson);
    }

    [Fact]
    public void Accept_TargetOffline_ScheduledAndPending_NothingSentNow()
    {
        var plan = Planner.Accept("app", Command(), Ana(), [Laptop(online: false, presence: Presence.Idle)],
            Parse("steps: [{ to: best, via: inApp, wait: 5m }]"), [], Ctx());

        Assert.Equal(NotificationStatus.Scheduled, plan.Result!.Status);
        Assert.Equal(DeliveryStatus.Pending, Assert.Single(plan.Changes[0].NewDeliveries).Status);
        Assert.Empty(plan.Effects.OfType<SendToDevice>());
    }

    [Fact]
    public void Accept_PushStep_QueuedForTheDispatcher_Scheduled()
    {
        var plan = Accept(TwoSteps, Laptop(online: false, presence: Presence.Idle), Phone());

        Assert.Equal(NotificationStatus.Scheduled, plan.Result!.Status);
        Assert.Equal((Channel.Push, "phone", Noon), (plan.Result.Decision!.Channel, plan.Result.Decision.DeviceId, plan.Result.Decision.DeliverAt));
        var delivery = Assert.Single(plan.Changes[0].NewDeliveries);
        Assert.Equal((DeliveryStatus.Pending, Channel.Push), (delivery.Status, delivery.Channel));
        var dispatch = Assert.Single(plan.Effects.OfType<Dispatch>());
        Assert.Equal(new SendJob(plan.Notification!.Id, delivery.Id), dispatch.Job);
    }

    [Fact]
    public void Accept_QuietHours_HeldWithAReleaseTimerAtTheirEnd()
    {
        var user = Ana("UTC", Quiet(W("daily", "11:00", "13:00")));
        var plan = Planner.Accept("app", Command(), user, [Laptop()], Parse(TwoSteps), [], Ctx());

        Assert.Equal(NotificationStatus.Held, plan.Result!.Status);
        Assert.Equal(Noon.AddHours(1), plan.Result.Decision!.DeliverAt);
        Assert.Equal((HoldKind.QuietHours, 0), (plan.Notification!.Hold, plan.Notification.HoldStep));
        Assert.Contains(plan.Changes[0].NewTimers, t => t is { Kind: TimerKind.Release, Step: 0 } && t.DueAt == Noon.AddHours(1));
        Assert.Empty(plan.Effects.OfType<SendToDevice>());
        Assert.Contains(plan.Trace, t => t.Kind == TraceKind.Held);
    }

    [Fact]
    public void Accept_MutedCategory_SuppressedFinal_NoTimers()
    {
        var user = Ana(preferences: Prefs(("mention", new CategoryPreference(true, null))));
        var plan = Planner.Accept("app", Command(), user, [Laptop()], Parse(TwoSteps), [], Ctx());

        Assert.Equal(NotificationStatus.Suppressed, plan.Result!.Status);
        Assert.Empty(plan.Changes[0].NewTimers);
        Assert.Empty(plan.Effects);
    }

    [Fact]
    public void Accept_NoStepCanReach_FailedWithAWebhookEvent()
    {
        var options = new DeliveryOptions();
        options.WebhookApps.Add("app");
        var plan = Planner.Accept("app", Command(), Ana(email: null), [], Parse(TwoSteps), [], Ctx(options: options));

        Assert.Equal(NotificationStatus.Failed, plan.Result!.Status);
        Assert.Contains(plan.Changes[0].Events, e => e.Type == WebhookEventTypes.Failed);
        Assert.Empty(plan.Changes[0].NewTimers);
        Assert.Equal(TraceKind.NoStep, plan.Trace.Last().Kind);
    }

    [Fact]
    public void Accept_TtlAboveTheMaximum_ClampedToIt()
    {
        var plan = Planner.Accept("app", Command(ttl: TimeSpan.FromDays(365)), Ana(), [Laptop()], Parse(TwoSteps), [], Ctx());
        Assert.Equal(Noon + new DeliveryOptions().MaxTtl, plan.Notification!.ExpiresAt);
    }

    [Fact]
    public void Accept_CollapseKey_OlderOpenOnesCollapsed_TheirShownCopiesCleared()
    {
        var older = Details(Note(Noon.AddMinutes(-5)) with { Id = "ntf_old", Status = NotificationStatus.Delivered, Step = 0, CollapseKey = "k" },
            Sent("dlv_old", "laptop"));
        var plan = Planner.Accept("app", Command(collapseKey: "k"), Ana(), [Laptop()], Parse(TwoSteps), [older], Ctx());

        var collapsed = plan.Changes.Single(c => c.NotificationId == "ntf_old");
        Assert.Equal(NotificationStatus.Collapsed, collapsed.Update!.Status);
        Assert.True(collapsed.DeleteAllTimers);
        Assert.Contains(plan.Effects.OfType<SendToDevice>(), s => s is { NotificationId: "ntf_old", Message: ClearMessage { Reason: "collapsed" } });
    }

    [Fact]
    public void Fire_FollowUp_NextStepPassesOverTheDeviceThatHasIt_EscalatedEvent()
    {
        var options = new DeliveryOptions();
        options.WebhookApps.Add("app");
        var n = Note(Noon) with { Status = NotificationStatus.Delivered, Step = 0 };
        var phoneOnline = Device("phone", Noon, Platform.Ios, online: true, Presence.Active, TimeSpan.FromSeconds(1));
        var details = Details(n, Sent("dlv_1", "phone", Channel.Push));
        var plan = Planner.Fire(FollowUp(0), details, Ana(), [phoneOnline, Device("tablet", Noon, Platform.Ios, presence: Presence.Idle, activeAgo: TimeSpan.FromHours(3))],
            Parse(TwoSteps), Ctx(Noon.AddMinutes(2), options));

        Assert.Equal("tablet", Assert.Single(plan.Changes[0].NewDeliveries).DeviceId);
        Assert.Equal(1, plan.Notification!.Step);
        Assert.Equal("tmr_f", plan.Changes[0].FiredTimer);
        Assert.Contains(plan.Trace, t => t.Kind == TraceKind.PassedOver && t.DeviceId == "phone" && t.Message.Contains("already has it"));
        Assert.Contains(plan.Trace, t => t.Kind == TraceKind.Redecided);
        Assert.Contains(plan.Changes[0].Events, e => e.Type == WebhookEventTypes.Escalated);
        Assert.Contains(plan.Effects, e => e is RecordUnanswered { Kind: OutcomeKind.FollowedUp, Step: 0 });
    }

    [Theory]
    [InlineData(NotificationStatus.Seen, 0)]
    [InlineData(NotificationStatus.Delivered, 1)]
    [InlineData(NotificationStatus.Held, 0)]
    public void Fire_StaleFollowUp_OnlyForgetsTheTimer(NotificationStatus status, int step)
    {
        var n = Note(Noon) with { Status = status, Step = step };
        var plan = Planner.Fire(FollowUp(0), Details(n), Ana(), [], Parse(TwoSteps), Ctx());

        var change = Assert.Single(plan.Changes);
        Assert.Equal("tmr_f", change.FiredTimer);
        Assert.Null(change.Update);
        Assert.Empty(change.NewDeliveries);
        Assert.Empty(plan.Effects);
    }

    [Fact]
    public void Fire_Expiry_ExpiresAndClearsWhatWasShown()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Delivered, Step = 0 };
        var plan = Planner.Fire(new TimerRecord("tmr_e", n.Id, TimerKind.Expire, -1, n.ExpiresAt), Details(n, Sent("dlv_1", "laptop")), null, [], null,
            Ctx(n.ExpiresAt));

        Assert.Equal(NotificationStatus.Expired, plan.Notification!.Status);
        Assert.True(plan.Changes[0].DeleteAllTimers);
        Assert.Equal("tmr_e", plan.Changes[0].FiredTimer);
        Assert.Contains(plan.Effects.OfType<SendToDevice>(), s => s.Message is ClearMessage { Reason: "expired" });
        Assert.Contains(plan.Effects, e => e is RecordUnanswered { Kind: OutcomeKind.Expired });
    }

    [Fact]
    public void Fire_RuleVersionGone_TraceSaysSo_NothingElse()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Delivered, Step = 0 };
        var plan = Planner.Fire(FollowUp(0), Details(n), Ana(), [], null, Ctx());

        Assert.Null(plan.Changes[0].Update);
        Assert.Contains(plan.Trace, t => t.Message.Contains("no longer known"));
    }

    [Fact]
    public void Fire_RepeatOfTheLastStep_ReachesTheSameDevicesAgain()
    {
        var rule = Parse("repeat: 2\nsteps: [{ to: all, via: inApp, wait: 5m }]");
        var n = Note(Noon) with { Status = NotificationStatus.Delivered, Step = 0 };
        var plan = Planner.Fire(new TimerRecord("tmr_r", n.Id, TimerKind.FollowUp, 0, Noon, 1), Details(n, Sent("dlv_1", "laptop")), Ana(), [Laptop()], rule, Ctx());

        var delivery = Assert.Single(plan.Changes[0].NewDeliveries);
        Assert.Equal(("laptop", 1), (delivery.DeviceId, delivery.Attempt));
        Assert.Contains(plan.Changes[0].NewTimers, t => t is { Kind: TimerKind.FollowUp, Attempt: 2 });
    }

    [Fact]
    public void Fire_EndOfADeferral_SendsTheStepInsteadOfDeferringAgain()
    {
        var rule = Parse("steps: [{ to: best, via: inApp, defer: { for: 30m } }]");
        var n = Note(Noon) with { Status = NotificationStatus.Held, Hold = HoldKind.Timer, HoldStep = 0 };
        var plan = Planner.Fire(new TimerRecord("tmr_r", n.Id, TimerKind.Release, 0, Noon, 0), Details(n), Ana(), [Laptop()], rule, Ctx());

        Assert.Equal(NotificationStatus.Delivered, plan.Notification!.Status);
        Assert.Null(plan.Notification.Hold);
    }

    [Fact]
    public void Fire_DeviceHoldOutlivesItsStepsWait_TheRuleMovesOnToTheNextStep()
    {
        var rule = Parse("""
            regions: { office: { lat: 38.7223, lon: -9.1393, radius: 250m } }
            steps:
              - { to: best, via: inApp, where: "'office' in user.regions", defer: { until: "'office' in user.regions" }, wait: 1h }
              - { to: best, via: inApp }
            """);
        var n = Note(Noon) with { Status = NotificationStatus.Held, Hold = HoldKind.Device, HoldStep = 0 };
        var plan = Planner.Fire(new TimerRecord("tmr_g", n.Id, TimerKind.Release, 0, Noon.AddHours(1), 0), Details(n), Ana(), [Laptop()], rule,
            Ctx(Noon.AddHours(1)));

        Assert.Equal(NotificationStatus.Delivered, plan.Notification!.Status);
        Assert.Equal(1, plan.Notification.Step);
        Assert.Contains(plan.Trace, t => t.Kind == TraceKind.Redecided && t.Message.Contains("before a device was ready"));
    }

    [Fact]
    public void Acknowledge_ClearsOtherDevices_DropsPending_RecordsTheResponseTime()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Delivered, Step = 1 };
        var details = Details(n, Sent("dlv_1", "laptop", at: Noon), Sent("dlv_2", "phone", Channel.Push, at: Noon.AddMinutes(2)),
            Sent("dlv_3", "tablet") with { Status = DeliveryStatus.Pending, SentAt = null });
        var phone = Phone().Device;
        var plan = Planner.Acknowledge(details, phone, AckAction.Seen, Ctx(Noon.AddMinutes(3)));

        Assert.Equal(NotificationStatus.Seen, plan.Notification!.Status);
        Assert.Equal(("phone", Noon.AddMinutes(3)), (plan.Notification.AcknowledgedBy, plan.Notification.AcknowledgedAt!.Value));
        var updates = plan.Changes[0].DeliveryUpdates.ToDictionary(u => u.DeliveryId, u => u.Status);
        Assert.Equal(DeliveryStatus.Cleared, updates["dlv_1"]);
        Assert.Equal(DeliveryStatus.Acknowledged, updates["dlv_2"]);
        Assert.Equal(DeliveryStatus.Dropped, updates["dlv_3"]);
        Assert.Contains(plan.Effects.OfType<SendToDevice>(), s => s is { DeviceId: "laptop", Message: ClearMessage { Reason: "seen-elsewhere" } });
        var response = Assert.Single(plan.Effects.OfType<RecordResponse>());
        Assert.Equal(TimeSpan.FromMinutes(1), response.ResponseTime);
        Assert.Equal(TraceKind.Acknowledged, plan.Trace.Last().Kind);
    }

    [Fact]
    public void Acknowledge_AlreadyFinal_ChangesNothing()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Expired };
        var plan = Planner.Acknowledge(Details(n), Phone().Device, AckAction.Seen, Ctx());
        Assert.True(plan.IsEmpty);
        Assert.Equal(NotificationStatus.Expired, plan.Notification!.Status);
    }

    private const string Digest = """
        steps:
          - to: best
            via: inApp
            defer: { until: "device.battery.charging && device.connectivity.type in ['wifi', 'ethernet']" }
        """;

    [Fact]
    public void Redecide_DeviceHold_NoDeviceReadyYet_NothingChanges()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Held, Hold = HoldKind.Device, HoldStep = 0 };
        var phone = Device("phone", Noon, Platform.Ios, online: true, battery: new BatteryState(0.5, false, false));
        var plan = Planner.Redecide(Details(n), Ana(), [phone], Parse(Digest), "phone reported", onlyIfReleased: true, Ctx());
        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public void Redecide_DeviceHold_ADesktopOnMainsOnEthernet_IsReady()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Held, Hold = HoldKind.Device, HoldStep = 0 };
        var pc = Device("pc", Noon, Platform.Desktop, online: true, net: new ConnectivityState(ConnectivityType.Ethernet, false), push: false);
        var plan = Planner.Redecide(Details(n), Ana(), [pc], Parse(Digest), "pc reported", onlyIfReleased: true, Ctx());

        Assert.Equal(NotificationStatus.Delivered, plan.Notification!.Status);
        Assert.Equal("pc", Assert.Single(plan.Changes[0].NewDeliveries).DeviceId);
    }

    [Fact]
    public void Redecide_QuietHoursCleared_ReleasedNow()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Held, Hold = HoldKind.QuietHours, HoldStep = 0 };
        var plan = Planner.Redecide(Details(n), Ana(), [Laptop()], Parse(TwoSteps), "quiet hours changed", onlyIfReleased: false, Ctx());

        Assert.Equal(NotificationStatus.Delivered, plan.Notification!.Status);
        Assert.Single(plan.Effects.OfType<SendToDevice>());
    }

    [Fact]
    public void Redecide_QuietHoursMoved_HeldUntilTheNewEnd()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Held, Hold = HoldKind.QuietHours, HoldStep = 0 };
        var user = Ana("UTC", Quiet(W("daily", "11:00", "12:30")));
        var plan = Planner.Redecide(Details(n), user, [Laptop()], Parse(TwoSteps), "quiet hours changed", onlyIfReleased: false, Ctx());

        Assert.Equal(NotificationStatus.Held, plan.Notification!.Status);
        Assert.Contains(plan.Changes[0].NewTimers, t => t.Kind == TimerKind.Release && t.DueAt == Noon.AddMinutes(30));
    }

    [Fact]
    public void Settle_ProviderAccepted_DeliverySentAndNotificationDelivered()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Scheduled, Step = 1 };
        var pending = Sent("dlv_1", "phone", Channel.Push, step: 1) with { Status = DeliveryStatus.Pending, SentAt = null };
        var plan = Planner.Settle(Details(n, pending), new SendJob(n.Id, "dlv_1"), Attempt(), new SendResult(SendOutcome.Sent, "fcm", 200, null, MessageId: "m1"),
            null, null, [], null, Ctx());

        Assert.Equal(DeliveryStatus.Sent, Assert.Single(plan.Changes[0].DeliveryUpdates).Status);
        Assert.Equal(NotificationStatus.Delivered, plan.Notification!.Status);
        Assert.Single(plan.Changes[0].Attempts);
        Assert.Contains(plan.Trace, t => t.Kind == TraceKind.Sent && t.Message.Contains("id m1"));
    }

    [Fact]
    public void Settle_PushFailed_NextStepAtOnce()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Scheduled, Step = 1 };
        var pending = Sent("dlv_1", "phone", Channel.Push, step: 1) with { Status = DeliveryStatus.Pending, SentAt = null };
        var plan = Planner.Settle(Details(n, pending), new SendJob(n.Id, "dlv_1"), Attempt(), null, "the push token is no longer valid", Ana(), [],
            Parse(TwoSteps), Ctx());

        Assert.Equal(DeliveryStatus.Failed, plan.Changes[0].DeliveryUpdates[0].Status);
        Assert.Equal(2, plan.Notification!.Step);
        Assert.Equal(Channel.Email, Assert.Single(plan.Changes[0].NewDeliveries).Channel);
        Assert.Single(plan.Effects.OfType<Dispatch>());
    }

    [Fact]
    public void Settle_FailedAndNoStepLeftAndNobodyReached_TheNotificationFails()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Scheduled, Step = 1 };
        var pending = Sent("dlv_1", "phone", Channel.Push, step: 1) with { Status = DeliveryStatus.Pending, SentAt = null };
        var plan = Planner.Settle(Details(n, pending), new SendJob(n.Id, "dlv_1"), null, null, "gave up", Ana(email: null), [], Parse(TwoSteps), Ctx());

        Assert.Equal(NotificationStatus.Failed, plan.Notification!.Status);
        Assert.True(plan.Changes[0].DeleteAllTimers);
        Assert.Contains(plan.Changes[0].DeliveryUpdates, u => u is { DeliveryId: "dlv_1", Status: DeliveryStatus.Failed });
    }

    [Fact]
    public void Settle_AnotherDeliveryOfTheStepStillOpen_WaitsForIt()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Scheduled, Step = 1 };
        var pending = Sent("dlv_1", "phone", Channel.Push, step: 1) with { Status = DeliveryStatus.Pending, SentAt = null };
        var other = Sent("dlv_2", "tablet", Channel.Push, step: 1) with { Status = DeliveryStatus.Pending, SentAt = null };
        var plan = Planner.Settle(Details(n, pending, other), new SendJob(n.Id, "dlv_1"), null, null, "gave up", Ana(), [], Parse(TwoSteps), Ctx());

        Assert.Null(plan.Changes[0].Update);
        Assert.Empty(plan.Changes[0].NewDeliveries);
    }

    [Fact]
    public void Settle_DeliverySettledMeanwhile_KeepsOnlyTheRecordOfTheCall()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Seen, Step = 1 };
        var dropped = Sent("dlv_1", "phone", Channel.Push, step: 1) with { Status = DeliveryStatus.Dropped };
        var plan = Planner.Settle(Details(n, dropped), new SendJob(n.Id, "dlv_1"), Attempt(), new SendResult(SendOutcome.Sent, "fcm", 200, null),
            null, null, [], null, Ctx());

        var change = Assert.Single(plan.Changes);
        Assert.Single(change.Attempts);
        Assert.Empty(change.DeliveryUpdates);
        Assert.Empty(plan.Effects);
    }

    [Fact]
    public void Resend_PendingRecordedAsSent_SentOnesAfterTheLastEventIdOnly()
    {
        var n = Note(Noon) with { Status = NotificationStatus.Scheduled, Step = 0 };
        var open = new List<OpenDelivery>
        {
            new(Sent("dlv_1", "laptop"), n with { Id = "ntf_a", Status = NotificationStatus.Delivered }),
            new(Sent("dlv_2", "laptop"), n with { Id = "ntf_b", Status = NotificationStatus.Delivered }),
            new(Sent("dlv_3", "laptop") with { Status = DeliveryStatus.Pending, SentAt = null }, n with { Id = "ntf_c" }),
        };
        var plan = Planner.Resend("laptop", open, lastEventId: "dlv_1", Ctx());

        Assert.Equal(["ntf_b", "ntf_c"], plan.Effects.OfType<SendToDevice>().Select(s => s.NotificationId));
        var change = Assert.Single(plan.Changes);
        Assert.Equal(("ntf_c", NotificationStatus.Delivered), (change.NotificationId, change.Update!.Status));
        Assert.Equal(NotificationStatus.Scheduled, change.ExpectedStatus);
    }

    [Theory]
    [InlineData(Priority.Normal, true)]
    [InlineData(Priority.Critical, false)]
    public void Resend_DuringQuietHours_ArrivesSilently_UnlessItsPriorityIsAllowed(Priority priority, bool silent)
    {
        var user = Ana("UTC", Quiet(W("daily", "11:00", "13:00"), Priority.Critical));
        var open = new List<OpenDelivery> { new(Sent("dlv_1", "laptop") with { Status = DeliveryStatus.Pending, SentAt = null }, Note(Noon) with { Priority = priority }) };

        var plan = Planner.Resend("laptop", open, null, Ctx(), user);

        var message = Assert.IsType<NotificationMessage>(Assert.Single(plan.Effects.OfType<SendToDevice>()).Message);
        Assert.Equal(silent ? true : null, message.Notification.Silent);
    }

    [Fact]
    public void FollowUp_AsSimulateAsksIt_IsTheSameAsTheTimersPlan()
    {
        var accepted = Planner.Accept("app", Command(), Ana(), [Phone()], Parse(TwoSteps), [], Ctx()).Notification!;
        var viaFollowUp = Planner.FollowUp(accepted, 0, ["phone"], Ana(), [Phone()], Parse(TwoSteps), Ctx(Noon.AddMinutes(2)));
        var n = accepted with { Status = NotificationStatus.Delivered, Step = 0 };
        var viaTimer = Planner.Fire(FollowUp(0) with { NotificationId = n.Id }, Details(n, Sent("dlv_x", "phone", Channel.InApp), Sent("dlv_y", "phone", Channel.Push)),
            Ana(), [Phone()], Parse(TwoSteps), Ctx(Noon.AddMinutes(2)));

        Assert.Equal(viaTimer.Notification!.Status, viaFollowUp.Result!.Status);
        Assert.Equal(viaTimer.Decision!.Step, viaFollowUp.Decision!.Step);
        Assert.Equal(viaTimer.Trace.Select(t => (t.Kind, t.Message)), viaFollowUp.Trace.Select(t => (t.Kind, t.Message)));
    }

    private static TimerRecord FollowUp(int step) => new("tmr_f", "ntf_1", TimerKind.FollowUp, step, Noon, 0);

    private static SendAttempt Attempt() => new("dlv_1", Noon, "fcm", SendOutcome.Sent, 200, null, TimeSpan.FromMilliseconds(5));

    private static Delivery Sent(string id, string device, Channel channel = Channel.InApp, int step = 0, DateTimeOffset? at = null) =>
        new(id, "ntf_1", step, device, channel, DeliveryStatus.Sent, at ?? Noon, at ?? Noon, null);

    private static NotificationDetails Details(Notification n, params Delivery[] deliveries) =>
        new(n, [.. deliveries.Select(d => d with { NotificationId = n.Id })], [], null);
}
