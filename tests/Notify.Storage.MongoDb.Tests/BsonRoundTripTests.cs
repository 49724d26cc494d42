using System.Text.Json.Nodes;
using MongoDB.Bson;
using Notify.Engine.Channels;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Timers;
using static Notify.Storage.MongoDb.Tests.Bson;

namespace Notify.Storage.MongoDb.Tests;

/// <summary>Every stored document through the driver's BSON serializers: the exact shape written, and the same value read back.</summary>
public sealed class BsonRoundTripTests
{
    [Fact]
    public void User_Serialize_CamelCaseDatesAndSettingsAsApiJson_RoundTrips()
    {
        var user = new User("app", "ana", "ana@example.com", "Europe/Lisbon", "pt-PT", T0, T0.AddMinutes(1))
        {
            Preferences = new UserPreferences(new Dictionary<string, CategoryPreference> { ["mention"] = new(true, null) }),
        };
        var doc = new UserDoc
        {
            Id = ObjectId.Parse("65f000000000000000000001"), AppId = user.AppId, UserId = user.Id, Email = user.Email, TimeZone = user.TimeZone,
            Locale = user.Locale, CreatedAt = user.CreatedAt, UpdatedAt = user.UpdatedAt, Preferences = DocumentMapping.Json(user.Preferences),
        };

        var bson = ToBson(doc);

        Equal($$$$"""
            { _id: ObjectId("65f000000000000000000001"), appId: "app", userId: "ana", email: "ana@example.com", timeZone: "Europe/Lisbon",
              locale: "pt-PT", createdAt: ISODate("{{{{T0Iso}}}}"), updatedAt: ISODate("2026-09-21T14:14:20.123Z"),
              preferences: '{"categories":{"mention":{"muted":true}}}' }
            """, bson);
        var back = DocumentMapping.ToUser(FromBson<UserDoc>(bson));
        Assert.Equal(user with { Preferences = UserPreferences.None }, back with { Preferences = UserPreferences.None });
        Assert.True(back.Preferences.IsMuted("mention"));
        Assert.Same(QuietHoursSettings.None, back.QuietHours);
    }

    [Fact]
    public void Device_WithFullState_EnumsAsWireNames_RoundTrips()
    {
        var state = new DeviceState(true, Presence.Active, true, new BatteryState(0.4, true, false), new ConnectivityState(ConnectivityType.Wifi, false),
            new GeoLocation(38.7, -9.1, 10), T0, T0.AddSeconds(5));
        var doc = DocumentMapping.ToDoc(new Device("dev_1", "app", "ana", Platform.Android, "phone",
            new PushRegistration("fcm", "tok", null, "production"), "hash1", T0));
        doc.State = state;

        var bson = ToBson(doc);

        Equal($$"""
            { _id: "dev_1", appId: "app", userId: "ana", platform: "android", name: "phone",
              push: { provider: "fcm", token: "tok", environment: "production" }, tokenHash: "hash1", createdAt: ISODate("{{T0Iso}}"),
              state: { online: true, presence: "active", foreground: true, battery: { level: 0.4, charging: true, lowPower: false },
                       connectivity: { type: "wifi", metered: false }, location: { lat: 38.7, lon: -9.1, accuracy: 10.0 },
                       lastActiveAt: ISODate("{{T0Iso}}"), lastSeenAt: ISODate("2026-09-21T14:13:25.123Z") } }
            """, bson);
        var back = FromBson<DeviceDoc>(bson);
        Assert.Equal(DocumentMapping.ToDevice(doc), DocumentMapping.ToDevice(back));
        Assert.Equal(state, back.State);
    }

    [Fact]
    public void Device_Minimal_NullsLeftOut_RoundTripsToNulls()
    {
        var device = new Device("dev_2", "app", "ana", Platform.Web, null, null, "hash2", T0);

        var bson = ToBson(DocumentMapping.ToDoc(device));

        Equal($$"""{ _id: "dev_2", appId: "app", userId: "ana", platform: "web", tokenHash: "hash2", createdAt: ISODate("{{T0Iso}}") }""", bson);
        var back = FromBson<DeviceDoc>(bson);
        Assert.Equal(device, DocumentMapping.ToDevice(back));
        Assert.Null(back.State);
        Assert.Equal(DeviceState.Unknown, FromBson<DeviceState>(ToBson(DeviceState.Unknown)));
    }

    [Fact]
    public void Notification_WithDeliveriesTraceAttempts_OneDocument_RoundTrips()
    {
        var n = new Notification
        {
            Id = "ntf_1", AppId = "app", UserId = "ana", Category = "mention", Title = "Hi", Body = "there",
            Data = JsonNode.Parse("""{"threadId":"t9","n":1.50,"$odd.key":true}""")!.AsObject(), Priority = Priority.High, IdempotencyKey = "evt-1",
            CollapseKey = "thread", CreatedAt = T0, ExpiresAt = T0.AddHours(1), RuleName = "default", RuleVersion = "v1",
            Status = NotificationStatus.Held, Step = 0, Hold = HoldKind.QuietHours, HoldStep = 1, AcknowledgedAt = T0, AcknowledgedBy = "dev_1",
        };
        var doc = DocumentMapping.ToDoc(n, """{"notificationId":"ntf_1"}""");
        doc.Deliveries.Add(DocumentMapping.ToDoc(new Delivery("dlv_1", "ntf_1", 0, "dev_1", Channel.InApp, DeliveryStatus.Sent, T0, T0, "picked")
            { Silent = true, Attempt = 2 }));
        doc.Deliveries.Add(DocumentMapping.ToDoc(new Delivery("dlv_2", "ntf_1", 1, null, Channel.Email, DeliveryStatus.Pending, T0, null, null)));
        doc.Trace.Add(new TraceEntry(T0, 0, "dev_1", "picked dev_1"));
        doc.Trace.Add(new TraceEntry(T0, null, null, "held"));
        doc.Attempts.Add(new SendAttempt("dlv_2", T0, "email", SendOutcome.TokenInvalid, 550, "no such user", TimeSpan.FromMilliseconds(12.5)));

        var bson = ToBson(doc);

        Equal($$"""
            { _id: "ntf_1", appId: "app", userId: "ana", category: "mention", title: "Hi", body: "there",
              data: '{"threadId":"t9","n":1.50,"$odd.key":true}', priority: "high", idempotencyKey: "evt-1", collapseKey: "thread",
              createdAt: ISODate("{{T0Iso}}"), expiresAt: ISODate("2026-09-21T15:13:20.123Z"), ruleName: "default", ruleVersion: "v1",
              status: "held", step: 0, hold: "quietHours", holdStep: 1, ackAt: ISODate("{{T0Iso}}"), ackBy: "dev_1",
              response: '{"notificationId":"ntf_1"}',
              deliveries: [
                { id: "dlv_1", step: 0, deviceId: "dev_1", channel: "inApp", status: "sent", createdAt: ISODate("{{T0Iso}}"),
                  sentAt: ISODate("{{T0Iso}}"), reason: "picked", silent: true, attempt: 2 },
                { id: "dlv_2", step: 1, channel: "email", status: "pending", createdAt: ISODate("{{T0Iso}}"), silent: false, attempt: 0 } ],
              trace: [ { at: ISODate("{{T0Iso}}"), step: 0, deviceId: "dev_1", message: "picked dev_1" }, { at: ISODate("{{T0Iso}}"), message: "held" } ],
              attempts: [ { deliveryId: "dlv_2", at: ISODate("{{T0Iso}}"), provider: "email", outcome: "tokenInvalid", status: 550,
                            reason: "no such user", latencyMs: 12.5 } ] }
            """, bson);
        var back = DocumentMapping.ToDetails(FromBson<NotificationDoc>(bson));
        Assert.Equal(n with { Data = null }, back.Notification with { Data = null });
        Assert.Equal(n.Data!.ToJsonString(), back.Notification.Data!.ToJsonString());
        Assert.Equal(doc.Deliveries.Select(d => DocumentMapping.ToDelivery(d, "ntf_1")), back.Deliveries);
        Assert.Equal(doc.Trace, back.Trace);
        Assert.Equal(doc.Attempts, back.Attempts);
        Assert.Equal("""{"notificationId":"ntf_1"}""", back.ResponseJson);
    }

    [Fact]
    public void Notification_NotHeld_StoresNoHold()
    {
        var n = new Notification
        {
            Id = "ntf_2", AppId = "app", UserId = "ana", Category = "c", Priority = Priority.Normal, CreatedAt = T0, ExpiresAt = T0,
            RuleName = "r", RuleVersion = "v", Status = NotificationStatus.Delivered, Hold = HoldKind.Timer,
        };

        var bson = ToBson(DocumentMapping.ToDoc(n, null));

        Assert.False(bson.Contains("hold"));
        Assert.Equal(n with { Hold = null }, DocumentMapping.ToNotification(FromBson<NotificationDoc>(bson)));
    }

    [Fact]
    public void IdempotencyTimerWebhookRuleVersion_Serialize_ExactShape_RoundTrip()
    {
        var key = new IdempotencyDoc { Id = ObjectId.Parse("65f000000000000000000002"), AppId = "app", Key = "evt-1", NotificationId = "ntf_1", CreatedAt = T0 };
        Equal($$"""{ _id: ObjectId("65f000000000000000000002"), appId: "app", key: "evt-1", notificationId: "ntf_1", createdAt: ISODate("{{T0Iso}}") }""",
            ToBson(key));
        Assert.Equal(key.NotificationId, FromBson<IdempotencyDoc>(ToBson(key)).NotificationId);

        var timer = new TimerRecord("tmr_1", "ntf_1", TimerKind.FollowUp, 1, T0, 2);
        var leased = DocumentMapping.ToDoc(timer, new TimerLease("node-a", T0.AddSeconds(30), T0.AddSeconds(1)));
        leased.Claim = "c0ffee";
        Equal($$"""
            { _id: "tmr_1", notificationId: "ntf_1", kind: "followUp", step: 1, dueAt: ISODate("{{T0Iso}}"), attempt: 2,
              leaseOwner: "node-a", leaseUntil: ISODate("2026-09-21T14:13:50.123Z"), claim: "c0ffee" }
            """, ToBson(leased));
        Assert.Equal(timer, DocumentMapping.ToTimer(FromBson<TimerDoc>(ToBson(leased))));
        Assert.Equal("c0ffee", FromBson<TimerDoc>(ToBson(leased)).Claim);
        Assert.False(ToBson(DocumentMapping.ToDoc(timer)).Contains("leaseOwner"));
        // Due after the creating node's window: stored free, for any node to claim.
        Assert.False(ToBson(DocumentMapping.ToDoc(timer, new TimerLease("node-a", T0.AddSeconds(30), T0))).Contains("leaseOwner"));

        var e = new WebhookEvent("evt_1", "app", WebhookEventTypes.Seen, T0, new JsonObject { ["notificationId"] = "ntf_1" });
        var webhook = DocumentMapping.ToDoc(e);
        Equal($$$$"""
            { _id: "evt_1", appId: "app", type: "notification.seen",
              payload: '{"id":"evt_1","type":"notification.seen","createdAt":"2026-09-21T14:13:20.123+00:00","appId":"app","data":{"notificationId":"ntf_1"}}',
              createdAt: ISODate("{{{{T0Iso}}}}"), dueAt: ISODate("{{{{T0Iso}}}}"), attempts: 0 }
            """, ToBson(webhook));
        Assert.Equal(new WebhookOutboxItem("evt_1", "app", "notification.seen", webhook.Payload, T0, T0, 0),
            DocumentMapping.ToOutboxItem(FromBson<WebhookDoc>(ToBson(webhook))));

        var rule = new RuleVersionDoc { Id = "v1", Name = "default", Source = "steps: []", CreatedAt = T0 };
        Equal($$"""{ _id: "v1", name: "default", source: "steps: []", createdAt: ISODate("{{T0Iso}}") }""", ToBson(rule));
        Assert.Equal("steps: []", FromBson<RuleVersionDoc>(ToBson(rule)).Source);
    }

    [Fact]
    public void Deserialize_UnknownEnumName_FailsNamingTheChoices()
    {
        var bson = BsonDocument.Parse("""{ _id: "dev_3", appId: "a", userId: "u", platform: "toaster", tokenHash: "h", createdAt: ISODate("2026-01-01T00:00:00Z") }""");

        var e = Assert.ThrowsAny<Exception>(() => FromBson<DeviceDoc>(bson));

        Assert.Contains("ios, android, web, desktop, watch", e.ToString());
    }

    [Fact]
    public void Deserialize_UnknownElement_IsAnErrorNotDropped()
    {
        var bson = BsonDocument.Parse("""{ _id: "v1", name: "n", source: "s", createdAt: ISODate("2026-01-01T00:00:00Z"), extra: 1 }""");

        Assert.ThrowsAny<FormatException>(() => FromBson<RuleVersionDoc>(bson));
    }
}
