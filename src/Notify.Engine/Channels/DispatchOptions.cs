using System.ComponentModel.DataAnnotations;

namespace Notify.Engine.Channels;

/// <summary>How push and email sends are retried and cut off (configuration section <c>Channels:Dispatch</c>).</summary>
public sealed class DispatchOptions
{
    /// <summary>Sends in flight at once over all providers (default 64). FCM and APNs adapters cap their own too.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentSends { get; set; } = 64;

    /// <summary>Attempts per delivery before it fails and the chain moves on (default 25: with the delays below, about
    /// 90 minutes of an outage). Sooner, a retry stops when the step's wait is up and a later step was taken, or the
    /// notification was seen, expired or collapsed.</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 25;

    /// <summary>The first retry delay (default 2 s); doubled each time, with jitter, up to <see cref="MaxRetryDelay"/>.
    /// A provider's <c>Retry-After</c> replaces it.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between two attempts (default 5 minutes), also the cap on a <c>Retry-After</c>.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A provider's circuit opens when at least this share of calls failed transiently (default 0.5) ...</summary>
    [Range(0.01, 1.0)]
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>... over at least this many calls (default 20) ...</summary>
    [Range(2, 100_000)]
    public int CircuitMinimumThroughput { get; set; } = 20;

    /// <summary>... within this window (default 30 s).</summary>
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before one is let through to test the provider (default 30 s).</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
