using Notify.Engine.Model;

namespace Notify.Engine.Notifications;

/// <summary>Settings of the delivery planner and its handlers (section <c>Delivery</c>).</summary>
public sealed class DeliveryOptions
{
    /// <summary>TTL when neither the call nor the rule sets one (default 24 hours).</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The longest TTL accepted (default 28 days, as FCM).</summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromDays(28);

    /// <summary>How long an idempotency key is remembered per app (24 hours, per the contract).</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A device's presence "active" with no activity reported for this long counts as idle (default 5 minutes;
    /// the SDKs report "active" again at least once a minute while the user keeps using the device).</summary>
    public TimeSpan PresenceStaleAfter { get; set; } = Decisions.DeviceRanking.DefaultPresenceStaleAfter;

    /// <summary>Channels with an adapter; in-app is always on, push and email when configured.</summary>
    public HashSet<Channel> EnabledChannels { get; } = [Channel.InApp];

    /// <summary>Push providers with an adapter (<c>fcm</c>, <c>apns</c>); set by the host from <c>Channels</c>.</summary>
    public HashSet<string> PushProviders { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Apps with a delivery-status webhook; only their changes write webhook events. Set by the host from
    /// <c>Webhooks</c>.</summary>
    public HashSet<string> WebhookApps { get; } = new(StringComparer.Ordinal);
}
