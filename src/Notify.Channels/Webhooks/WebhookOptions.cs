using System.ComponentModel.DataAnnotations;

namespace Notify.Channels.Webhooks;

/// <summary>Where an app's delivery-status events go (configuration <c>Webhooks:{appId}</c>).</summary>
public sealed class WebhookTarget
{
    /// <summary>The app's endpoint; it receives a POST per event and answers 2xx once it has stored it.</summary>
    [Required]
    public Uri? Url { get; set; }

    /// <summary>The shared secret for the <c>Notify-Signature</c> HMAC; at least 16 characters (use 32 random bytes).</summary>
    [Required, MinLength(16)]
    public string Secret { get; set; } = "";
}

/// <summary>How webhook events are posted and retried (configuration <c>Channels:Webhooks</c>).</summary>
public sealed class WebhookDeliveryOptions
{
    /// <summary>Posts before an event is given up (default 20: with the delays below, about 12 hours).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 20;

    /// <summary>The first retry delay (default 10 s), doubled per failure with ±20% jitter up to <see cref="MaxRetryDelay"/>;
    /// a <c>Retry-After</c> from the app wins.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two posts of an event (default 1 hour).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a post may take (default 10 s); longer counts as a failure and is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Apps posted to at once (default 8); one app's events go one at a time, oldest first.</summary>
    [Range(1, 1000)]
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>How often the outbox is looked at when nothing signals new events (default 30 s): events written by
    /// another process sharing the store are posted within this.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);
}
