using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.IdGenerators;
using MongoDB.Bson.Serialization.Options;
using MongoDB.Bson.Serialization.Serializers;
using Notify.Engine.Channels;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Timers;

namespace Notify.Storage.MongoDb;

/// <summary>
/// Every stored type's class map, written out: element names (camelCase, like the API), serializers for times
/// (BSON dates), enums (their wire names, <see cref="Names"/>) and durations; no conventions, no automapping, no
/// <c>_t</c> discriminators, and an unknown element is an error rather than silently dropped. The driver's class
/// map registry is process-wide, so this runs once.
/// </summary>
internal static class BsonMaps
{
    private static readonly Lock Gate = new();
    private static bool _registered;

    public static readonly IBsonSerializer<DateTimeOffset> Time = new DateTimeOffsetSerializer(BsonType.DateTime);
    public static readonly IBsonSerializer<DateTimeOffset?> OptionalTime = new NullableSerializer<DateTimeOffset>(Time);
    public static readonly IBsonSerializer<TimeSpan> Milliseconds = new TimeSpanSerializer(BsonType.Double, TimeSpanUnits.Milliseconds);

    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            RegisterAll();
            _registered = true;
        }
    }

    private static void RegisterAll()
    {
        BsonClassMap.RegisterClassMap<UserDoc>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapIdMember(d => d.Id).SetIdGenerator(ObjectIdGenerator.Instance);
            cm.MapMember(d => d.AppId).SetElementName("appId");
            cm.MapMember(d => d.UserId).SetElementName("userId");
            cm.MapMember(d => d.Email).SetElementName("email").Optional();
            cm.MapMember(d => d.TimeZone).SetElementName("timeZone");
            cm.MapMember(d => d.Locale).SetElementName("locale").Optional();
            cm.MapMember(d => d.CreatedAt).SetElementName("createdAt").SetSerializer(Time);
            cm.MapMember(d => d.UpdatedAt).SetElementName("updatedAt").SetSerializer(Time);
            cm.MapMember(d => d.QuietHours).SetElementName("quietHours").Optional();
            cm.MapMember(d => d.Preferences).SetElementName("preferences").Optional();
        });
        BsonClassMap.RegisterClassMap<DeviceDoc>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapIdMember(d => d.Id);
            cm.MapMember(d => d.AppId).SetElementName("appId");
            cm.MapMember(d => d.UserId).SetElementName("userId");
            cm.MapMember(d => d.Platform).SetElementName("platform").SetSerializer(new WireName<Platform>());
            cm.MapMember(d => d.Name).SetElementName("name").Optional();
            cm.MapMember(d => d.Push).SetElementName("push").Optional();
            cm.MapMember(d => d.TokenHash).SetElementName("tokenHash");
            cm.MapMember(d => d.CreatedAt).SetElementName("createdAt").SetSerializer(Time);
            cm.MapMember(d => d.State).SetElementName("state").Optional();
        });
        BsonClassMap.RegisterClassMap<PushRegistration>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapMember(p => p.Provider).SetElementName("provider");
            cm.MapMember(p => p.Token).SetElementName("token");
            cm.MapMember(p => p.Topic).SetElementName("topic").Optional();
            cm.MapMember(p => p.Environment).SetElementName("environment").Optional();
            cm.MapCreator(p => new PushRegistration(p.Provider, p.Token, p.Topic, p.Environment));
        });
        BsonClassMap.RegisterClassMap<DeviceState>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapMember(s => s.Online).SetElementName("online");
            cm.MapMember(s => s.Presence).SetElementName("presence").Optional().SetSerializer(Optional<Presence>());
            cm.MapMember(s => s.Foreground).SetElementName("foreground").Optional();
            cm.MapMember(s => s.Battery).SetElementName("battery").Optional();
            cm.MapMember(s => s.Connectivity).SetElementName("connectivity").Optional();
            cm.MapMember(s => s.Location).SetElementName("location").Optional();
            cm.MapMember(s => s.LastActiveAt).SetElementName("lastActiveAt").Optional().SetSerializer(OptionalTime);
            cm.MapMember(s => s.LastSeenAt).SetElementName("lastSeenAt").Optional().SetSerializer(OptionalTime);
            cm.MapCreator(s => new DeviceState(s.Online, s.Presence, s.Foreground, s.Battery, s.Connectivity, s.Location, s.LastActiveAt, s.LastSeenAt));
        });
        BsonClassMap.RegisterClassMap<BatteryState>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapMember(b => b.Level).SetElementName("level");
            cm.MapMember(b => b.Charging).SetElementName("charging");
            cm.MapMember(b => b.LowPower).SetElementName("lowPower");
            cm.MapCreator(b => new BatteryState(b.Level, b.Charging, b.LowPower));
        });
        BsonClassMap.RegisterClassMap<ConnectivityState>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapMember(c => c.Type).SetElementName("type").SetSerializer(new WireName<ConnectivityType>());
            cm.MapMember(c => c.Metered).SetElementName("metered");
            cm.MapCreator(c => new ConnectivityState(c.Type, c.Metered));
        });
        BsonClassMap.RegisterClassMap<GeoLocation>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapMember(g => g.Lat).SetElementName("lat");
            cm.MapMember(g => g.Lon).SetElementName("lon");
            cm.MapMember(g => g.Accuracy).SetElementName("accuracy").Optional();
            cm.MapCreator(g => new GeoLocation(g.Lat, g.Lon, g.Accuracy));
        });
        BsonClassMap.RegisterClassMap<NotificationDoc>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapIdMember(d => d.Id);
            cm.MapMember(d => d.AppId).SetElementName("appId");
            cm.MapMember(d => d.UserId).SetElementName("userId");
            cm.MapMember(d => d.Category).SetElementName("category");
            cm.MapMember(d => d.Title).SetElementName("title").Optional();
            cm.MapMember(d => d.Body).SetElementName("body").Optional();
            cm.MapMember(d => d.Data).SetElementName("data").Optional();
            cm.MapMember(d => d.Priority).SetElementName("priority").SetSerializer(new WireName<Priority>());
            cm.MapMember(d => d.IdempotencyKey).SetElementName("idempotencyKey").Optional();
            cm.MapMember(d => d.CollapseKey).SetElementName("collapseKey").Optional();
            cm.MapMember(d => d.CreatedAt).SetElementName("createdAt").SetSerializer(Time);
            cm.MapMember(d => d.ExpiresAt).SetElementName("expiresAt").SetSerializer(Time);
            cm.MapMember(d => d.RuleName).SetElementName("ruleName");
            cm.MapMember(d => d.RuleVersion).SetElementName("ruleVersion");
            cm.MapMember(d => d.Status).SetElementName("status").SetSerializer(new WireName<NotificationStatus>());
            cm.MapMember(d => d.Step).SetElementName("step");
            cm.MapMember(d => d.Hold).SetElementName("hold").Optional().SetSerializer(Optional<HoldKind>());
            cm.MapMember(d => d.HoldStep).SetElementName("holdStep");
            cm.MapMember(d => d.AckAt).SetElementName("ackAt").Optional().SetSerializer(OptionalTime);
            cm.MapMember(d => d.AckBy).SetElementName("ackBy").Optional();
            cm.MapMember(d => d.Response).SetElementName("response").Optional();
            cm.MapMember(d => d.Deliveries).SetElementName("deliveries");
            cm.MapMember(d => d.Trace).SetElementName("trace");
            cm.MapMember(d => d.Attempts).SetElementName("attempts");
        });
        BsonClassMap.RegisterClassMap<DeliveryDoc>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapMember(d => d.Id).SetElementName("id");
            cm.MapMember(d => d.Step).SetElementName("step");
            cm.MapMember(d => d.DeviceId).SetElementName("deviceId").Optional();
            cm.MapMember(d => d.Channel).SetElementName("channel").SetSerializer(new WireName<Channel>());
            cm.MapMember(d => d.Status).SetElementName("status").SetSerializer(new WireName<DeliveryStatus>());
            cm.MapMember(d => d.CreatedAt).SetElementName("createdAt").SetSerializer(Time);
            cm.MapMember(d => d.SentAt).SetElementName("sentAt").Optional().SetSerializer(OptionalTime);
            cm.MapMember(d => d.Reason).SetElementName("reason").Optional();
            cm.MapMember(d => d.Silent).SetElementName("silent");
            cm.MapMember(d => d.Attempt).SetElementName("attempt");
        });
        BsonClassMap.RegisterClassMap<TraceEntry>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapMember(t => t.At).SetElementName("at").SetSerializer(Time);
            cm.MapMember(t => t.Step).SetElementName("step").Optional();
            cm.MapMember(t => t.DeviceId).SetElementName("deviceId").Optional();
            cm.MapMember(t => t.Message).SetElementName("message");
            cm.MapMember(t => t.Kind).SetElementName("kind").SetSerializer(new WireName<TraceKind>()).SetDefaultValue(TraceKind.Note).SetIgnoreIfDefault(true);
            cm.MapCreator(t => new TraceEntry(t.At, t.Step, t.DeviceId, t.Message, t.Kind));
        });
        BsonClassMap.RegisterClassMap<SendAttempt>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapMember(a => a.DeliveryId).SetElementName("deliveryId");
            cm.MapMember(a => a.At).SetElementName("at").SetSerializer(Time);
            cm.MapMember(a => a.Provider).SetElementName("provider");
            cm.MapMember(a => a.Outcome).SetElementName("outcome").SetSerializer(new WireName<SendOutcome>());
            cm.MapMember(a => a.Status).SetElementName("status").Optional();
            cm.MapMember(a => a.Reason).SetElementName("reason").Optional();
            cm.MapMember(a => a.Latency).SetElementName("latencyMs").SetSerializer(Milliseconds);
            cm.MapCreator(a => new SendAttempt(a.DeliveryId, a.At, a.Provider, a.Outcome, a.Status, a.Reason, a.Latency));
        });
        BsonClassMap.RegisterClassMap<IdempotencyDoc>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapIdMember(d => d.Id).SetIdGenerator(ObjectIdGenerator.Instance);
            cm.MapMember(d => d.AppId).SetElementName("appId");
            cm.MapMember(d => d.Key).SetElementName("key");
            cm.MapMember(d => d.NotificationId).SetElementName("notificationId");
            cm.MapMember(d => d.CreatedAt).SetElementName("createdAt").SetSerializer(Time);
        });
        BsonClassMap.RegisterClassMap<TimerDoc>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapIdMember(d => d.Id);
            cm.MapMember(d => d.NotificationId).SetElementName("notificationId");
            cm.MapMember(d => d.Kind).SetElementName("kind").SetSerializer(new WireName<TimerKind>());
            cm.MapMember(d => d.Step).SetElementName("step");
            cm.MapMember(d => d.DueAt).SetElementName("dueAt").SetSerializer(Time);
            cm.MapMember(d => d.Attempt).SetElementName("attempt");
            cm.MapMember(d => d.LeaseOwner).SetElementName("leaseOwner").Optional();
            cm.MapMember(d => d.LeaseUntil).SetElementName("leaseUntil").Optional().SetSerializer(OptionalTime);
            cm.MapMember(d => d.Claim).SetElementName("claim").Optional();
        });
        BsonClassMap.RegisterClassMap<WebhookDoc>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapIdMember(d => d.Id);
            cm.MapMember(d => d.AppId).SetElementName("appId");
            cm.MapMember(d => d.Type).SetElementName("type");
            cm.MapMember(d => d.Payload).SetElementName("payload");
            cm.MapMember(d => d.CreatedAt).SetElementName("createdAt").SetSerializer(Time);
            cm.MapMember(d => d.DueAt).SetElementName("dueAt").Optional().SetSerializer(OptionalTime);
            cm.MapMember(d => d.Attempts).SetElementName("attempts");
            cm.MapMember(d => d.LastError).SetElementName("lastError").Optional();
        });
        BsonClassMap.RegisterClassMap<RuleVersionDoc>(cm =>
        {
            cm.SetIgnoreExtraElements(false);
            cm.MapIdMember(d => d.Id);
            cm.MapMember(d => d.Name).SetElementName("name");
            cm.MapMember(d => d.Source).SetElementName("source");
            cm.MapMember(d => d.CreatedAt).SetElementName("createdAt").SetSerializer(Time);
        });
    }

    /// <summary>Left out when null, and null when absent (a creator needs the default to be said).</summary>
    private static BsonMemberMap Optional(this BsonMemberMap member) => member.SetIgnoreIfNull(true).SetDefaultValue((object?)null);

    private static NullableSerializer<T> Optional<T>() where T : struct, Enum => new(new WireName<T>());

    /// <summary>An enum as its wire name (<c>inApp</c>, <c>followUp</c>); an unknown name is an error, not a default.</summary>
    internal sealed class WireName<T> : StructSerializerBase<T> where T : struct, Enum
    {
        public override T Deserialize(BsonDeserializationContext context, BsonDeserializationArgs args)
        {
            var text = context.Reader.ReadString();
            return Names.TryParse<T>(text, out var value) ? value
                : throw new FormatException($"'{text}' is not a {typeof(T).Name} (expected one of {Names.List<T>()}).");
        }

        public override void Serialize(BsonSerializationContext context, BsonSerializationArgs args, T value) =>
            context.Writer.WriteString(Names.Of(value));
    }
}
