using Notify.Engine.Channels;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using static Notify.Storage.MongoDb.Tests.Bson;
using Q = Notify.Storage.MongoDb.MongoQueries;

namespace Notify.Storage.MongoDb.Tests;

/// <summary>Every filter, update, sort and projection the store sends, rendered by the driver, compared with the exact BSON.</summary>
public sealed class QueryRenderingTests
{
    private const string Open = """["scheduled", "delivered", "held"]""";

    private static Notification Note(NotificationStatus status) => new()
    {
        Id = "ntf_1", AppId = "app", UserId = "ana", Category = "c", Priority = Priority.Normal, CreatedAt = T0, ExpiresAt = T0.AddHours(1),
        RuleName = "r", RuleVersion = "v1", Status = status, Step = 1,
    };

    [Fact]
    public void Users_FiltersUpdatesAndListings_RenderExactly()
    {
        Equal("""{ appId: "app", userId: "ana" }""", Render(Q.User("app", "ana")));
        Equal($$"""
            { $set: { email: null, timeZone: "UTC", locale: "pt-PT", updatedAt: ISODate("2026-09-21T14:14:20.123Z") },
              $setOnInsert: { createdAt: ISODate("{{T0Iso}}") } }
            """, Render(Q.UpsertUser(new User("app", "ana", null, "UTC", "pt-PT", T0, T0.AddMinutes(1)))));
        Equal("""{ $set: { quietHours: "{}" } }""", Render(Q.SetQuietHours("{}")));
        Equal("""{ $set: { preferences: "{}" } }""", Render(Q.SetPreferences("{}")));

        var (oneApp, byUser) = Q.ListUsers("app", null, "bob");
        Equal("""{ appId: "app", userId: { $gt: "bob" } }""", Render(oneApp));
        Equal("""{ userId: 1 }""", Render(byUser));
        var (everyApp, byAppUser) = Q.ListUsers(null, "app", "bob");
        Equal("""{ $or: [ { appId: { $gt: "app" } }, { appId: "app", userId: { $gt: "bob" } } ] }""", Render(everyApp));
        Equal("""{ appId: 1, userId: 1 }""", Render(byAppUser));
        Equal("""{ $or: [ { appId: { $gt: "" } }, { appId: "", userId: { $gt: "" } } ] }""", Render(Q.ListUsers(null, null, null).Filter));
    }

    [Fact]
    public void Devices_FiltersAndUpdates_RenderExactly()
    {
        Equal("""{ _id: "dev_1" }""", Render(Q.Device("dev_1")));
        Equal("""{ appId: "app", userId: "ana" }""", Render(Q.DevicesOf("app", "ana")));
        Equal("""{ _id: 1 }""", Render(Q.DeviceOrder));
        Equal("""{ tokenHash: "h" }""", Render(Q.DeviceByTokenHash("h")));
        Equal("""{ $set: { name: "phone", push: { provider: "apns", token: "t", topic: "com.example" }, tokenHash: "h2" } }""",
            Render(Q.UpdateDevice(new Device("dev_1", "app", "ana", Platform.Ios, "phone", new PushRegistration("apns", "t", "com.example", null), "h2", T0))));
        Equal("""{ $set: { name: null, push: null, tokenHash: "h2" } }""",
            Render(Q.UpdateDevice(new Device("dev_1", "app", "ana", Platform.Ios, null, null, "h2", T0))));
        Equal($$"""{ $set: { state: { online: false, presence: "away", lastSeenAt: ISODate("{{T0Iso}}") } } }""",
            Render(Q.SaveState(DeviceState.Unknown with { Presence = Presence.Away, LastSeenAt = T0 })));
    }

    [Fact]
    public void NotificationReads_FiltersSortsProjections_RenderExactly()
    {
        Equal("""{ _id: "ntf_1" }""", Render(Q.Notification("ntf_1")));
        Equal($$"""{ appId: "app", userId: "ana", collapseKey: "thread", status: { $in: {{Open}} } }""", Render(Q.OpenByCollapseKey("app", "ana", "thread")));
        Equal($$"""
            { deliveries: { $elemMatch: { deviceId: "dev_1", channel: "inApp", status: { $in: ["pending", "sent"] } } },
              status: { $in: {{Open}} }, expiresAt: { $gt: ISODate("{{T0Iso}}") } }
            """, Render(Q.OpenInApp("dev_1", T0)));
        Equal("""{ appId: "app", userId: "ana", status: "held" }""", Render(Q.Held("app", "ana")));
        Equal("""{ _id: 1 }""", Render(Q.ById));
        Equal("""{ hold: "device", status: "held" }""", Render(Q.DeviceHolds));
        Equal("""{ appId: 1, userId: 1, _id: 0 }""", Render(Q.AppAndUser));
        Equal($$"""
            { deliveries: { $elemMatch: { status: "pending", channel: { $ne: "inApp" } } },
              status: { $in: ["scheduled", "delivered"] }, expiresAt: { $gt: ISODate("{{T0Iso}}") } }
            """, Render(Q.PendingSends(T0)));
        var (recent, newestFirst) = Q.Recent("app", "ana", "ntf_9");
        Equal("""{ appId: "app", userId: "ana", _id: { $lt: "ntf_9" } }""", Render(recent));
        Equal("""{ _id: -1 }""", Render(newestFirst));
        Equal("""{ appId: "app", userId: "ana" }""", Render(Q.Recent("app", "ana", null).Filter));
        Equal("""{ deliveries: 0, trace: 0, attempts: 0, response: 0 }""", Render(Q.HeadOnly));
        Equal("""{ response: 1 }""", Render(Q.ResponseOnly));
    }

    [Fact]
    public void ChangeNotification_StatusWithExpectedAndDeliveryUpdate_OneConditionalUpdateWithArrayFilter()
    {
        var change = new NotificationChange("ntf_1")
        {
            Update = Note(NotificationStatus.Seen) with { AcknowledgedAt = T0, AcknowledgedBy = "dev_1" },
            ExpectedStatus = NotificationStatus.Delivered,
        };
        change.DeliveryUpdates.Add(new DeliveryUpdate("dlv_1", DeliveryStatus.Acknowledged, T0, "seen"));
        change.DeliveryUpdates.Add(new DeliveryUpdate("dlv_2", DeliveryStatus.Cleared, null, null));
        change.Trace.Add(new TraceEntry(T0, 1, "dev_1", "seen on dev_1"));
        change.Attempts.Add(new SendAttempt("dlv_2", T0, "fcm", SendOutcome.Sent, 200, null, TimeSpan.FromMilliseconds(3)));

        var update = Q.ChangeNotification(change, out var filter, out var arrayFilters, out var push);

        Equal("""{ _id: "ntf_1", status: "delivered" }""", Render(filter));
        Equal($$"""
            { $set: { status: "seen", step: 1, ackAt: ISODate("{{T0Iso}}"), ackBy: "dev_1", holdStep: 0,
                      "deliveries.$[d0].status": "acknowledged", "deliveries.$[d0].sentAt": ISODate("{{T0Iso}}"), "deliveries.$[d0].reason": "seen",
                      "deliveries.$[d1].status": "cleared", "deliveries.$[d1].sentAt": null },
              $unset: { hold: 1 },
              $push: { trace: { $each: [ { at: ISODate("{{T0Iso}}"), step: 1, deviceId: "dev_1", message: "seen on dev_1" } ] },
                       attempts: { $each: [ { deliveryId: "dlv_2", at: ISODate("{{T0Iso}}"), provider: "fcm", outcome: "sent", status: 200, latencyMs: 3.0 } ] } } }
            """, Render(update!));
        Assert.Equal(["""{ "d0.id" : "dlv_1" }""", """{ "d1.id" : "dlv_2" }"""], arrayFilters.Select(f => Render(f).ToString()));
        Assert.Null(push);
    }

    [Fact]
    public void ChangeNotification_HeldWithNewDeliveryAndNoArrayFilters_PushesInTheSameUpdate()
    {
        var change = new NotificationChange("ntf_1") { Update = Note(NotificationStatus.Held) with { Hold = HoldKind.Device, HoldStep = 2 } };
        change.NewDeliveries.Add(new Delivery("dlv_3", "ntf_1", 2, "dev_1", Channel.Push, DeliveryStatus.Pending, T0, null, null));
        // An update of a delivery inserted by the same change is folded into the inserted delivery.
        change.DeliveryUpdates.Add(new DeliveryUpdate("dlv_3", DeliveryStatus.Sent, T0, "sent"));

        var update = Q.ChangeNotification(change, out var filter, out var arrayFilters, out var push);

        Equal("""{ _id: "ntf_1" }""", Render(filter));
        Equal($$"""
            { $set: { status: "held", step: 1, ackAt: null, ackBy: null, hold: "device", holdStep: 2 },
              $push: { deliveries: { $each: [ { id: "dlv_3", step: 2, deviceId: "dev_1", channel: "push", status: "sent",
                                                createdAt: ISODate("{{T0Iso}}"), sentAt: ISODate("{{T0Iso}}"), reason: "sent", silent: false, attempt: 0 } ] } } }
            """, Render(update!));
        Assert.Empty(arrayFilters);
        Assert.Null(push);
    }

    [Fact]
    public void ChangeNotification_NewDeliveryBesideArrayFilterUpdate_PushesInASecondUpdate()
    {
        var change = new NotificationChange("ntf_1");
        change.DeliveryUpdates.Add(new DeliveryUpdate("dlv_1", DeliveryStatus.Cleared, null, "escalated"));
        change.NewDeliveries.Add(new Delivery("dlv_4", "ntf_1", 2, null, Channel.Email, DeliveryStatus.Pending, T0, null, null));
        change.ExpectedStatus = NotificationStatus.Delivered; // without a status update there is nothing to guard

        var update = Q.ChangeNotification(change, out var filter, out var arrayFilters, out var push);

        Equal("""{ _id: "ntf_1" }""", Render(filter));
        Equal("""{ $set: { "deliveries.$[d0].status": "cleared", "deliveries.$[d0].sentAt": null, "deliveries.$[d0].reason": "escalated" } }""",
            Render(update!));
        Assert.Single(arrayFilters);
        Equal($$"""
            { $push: { deliveries: { $each: [ { id: "dlv_4", step: 2, channel: "email", status: "pending", createdAt: ISODate("{{T0Iso}}"),
                                                silent: false, attempt: 0 } ] } } }
            """, Render(push!));
    }

    [Fact]
    public void ChangeNotification_OnlyTimers_NoDocumentUpdate()
    {
        var change = new NotificationChange("ntf_1") { DeleteAllTimers = true };

        Assert.Null(Q.ChangeNotification(change, out _, out _, out _));
    }

    [Fact]
    public void Idempotency_FiltersAndClaim_RenderExactly()
    {
        Equal("""{ appId: "app", key: "evt-1" }""", Render(Q.IdempotencyKey("app", "evt-1")));
        Equal($$"""{ appId: "app", key: "evt-1", createdAt: { $gte: ISODate("{{T0Iso}}") } }""", Render(Q.IdempotencyUsedSince("app", "evt-1", T0)));
        Equal($$"""{ $set: { notificationId: "ntf_1", createdAt: ISODate("{{T0Iso}}") } }""", Render(Q.ClaimIdempotency("ntf_1", T0)));
    }

    [Fact]
    public void Timers_DueDeleteAndLeaseClaim_RenderExactly()
    {
        Equal($$"""{ dueAt: { $lt: ISODate("{{T0Iso}}") } }""", Render(Q.TimersDueBefore(T0)));
        Equal("""{ dueAt: 1 }""", Render(Q.EarliestFirst));
        Equal("""{ notificationId: "ntf_1" }""", Render(Q.TimersOf("ntf_1")));
        Equal("""{ _id: { $in: ["tmr_1", "tmr_2"] } }""", Render(Q.Timers(["tmr_1", "tmr_2"])));
    }

    [Fact]
    public void TimerLeases_ClaimRenewRelease_RenderExactly()
    {
        const string Later = "2026-09-21T14:13:50.123Z"; // T0 + 30 s
        // The claim's two reads: free timers (timers_free: leaseOwner null, then dueAt), expired leases (timers_lease_until).
        Equal($$"""{ leaseOwner: null, dueAt: { $lt: ISODate("{{Later}}") } }""", Render(Q.FreeTimersDueBefore(T0.AddSeconds(30))));
        Equal($$"""{ leaseUntil: { $lte: ISODate("{{T0Iso}}") }, dueAt: { $lt: ISODate("{{Later}}") } }""",
            Render(Q.ExpiredLeasesDueBefore(T0.AddSeconds(30), T0)));
        Assert.Equal("timers_lease_until", Q.UseIndex("timers_lease_until").Hint!.AsString);
        // The update: only candidates still without a live lease, marked with the claim's token; then what carries the token.
        Equal($$"""
            { _id: { $in: ["tmr_1", "tmr_2"] }, $or: [ { leaseOwner: null }, { leaseUntil: { $lte: ISODate("{{T0Iso}}") } } ] }
            """, Render(Q.Claimable(["tmr_1", "tmr_2"], T0)));
        Equal($$"""{ $set: { leaseOwner: "node-a", leaseUntil: ISODate("{{Later}}"), claim: "c0ffee" } }""",
            Render(Q.Claim("node-a", T0.AddSeconds(30), "c0ffee")));
        Equal("""{ _id: { $in: ["tmr_1", "tmr_2"] }, claim: "c0ffee" }""", Render(Q.ClaimedBy(["tmr_1", "tmr_2"], "c0ffee")));
        // Renewal and release by owner (timers_free's first key), or some of the owner's timers by _id.
        Equal("""{ leaseOwner: "node-a" }""", Render(Q.LeasedTo("node-a")));
        Equal("""{ _id: { $in: ["tmr_1"] }, leaseOwner: "node-a" }""", Render(Q.LeasedTo("node-a", ["tmr_1"])));
        Equal($$"""{ leaseOwner: "node-a", leaseUntil: { $lt: ISODate("{{Later}}") } }""", Render(Q.LeasedToEndingBefore("node-a", T0.AddSeconds(30))));
        Equal($$"""{ $set: { leaseUntil: ISODate("{{Later}}") } }""", Render(Q.RenewLease(T0.AddSeconds(30))));
        Equal("""{ $unset: { leaseOwner: 1, leaseUntil: 1, claim: 1 } }""", Render(Q.ReleaseLease));
    }

    [Fact]
    public void Webhooks_DueNextAndRecordPost_RenderExactly()
    {
        Equal($$"""{ dueAt: { $lte: ISODate("{{T0Iso}}") } }""", Render(Q.WebhooksDue(T0)));
        Equal("""{ dueAt: 1, _id: 1 }""", Render(Q.OldestDueFirst));
        Equal("""{ dueAt: { $exists: true } }""", Render(Q.WebhooksPending));
        Equal("""{ _id: "evt_1" }""", Render(Q.Webhook("evt_1")));
        Equal($$"""{ $set: { attempts: 2, dueAt: ISODate("{{T0Iso}}"), lastError: "HTTP 500" } }""", Render(Q.RecordPost(2, T0, "HTTP 500")));
        Equal("""{ $set: { attempts: 1 }, $unset: { dueAt: 1, lastError: 1 } }""", Render(Q.RecordPost(1, null, null)));
    }

    [Fact]
    public void RuleVersions_SaveKeepsTheFirst_RendersExactly()
    {
        Equal("""{ _id: "v1" }""", Render(Q.RuleVersion("v1")));
        Equal($$"""{ $setOnInsert: { name: "default", source: "steps: []", createdAt: ISODate("{{T0Iso}}") } }""",
            Render(Q.SaveRuleVersion("default", "steps: []", T0)));
    }
}
