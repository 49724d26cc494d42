using System.ComponentModel.DataAnnotations;

namespace Notify.Server.Realtime.Grip;

/// <summary>
/// Pushpin at the realtime edge (section <c>Realtime:Grip</c>). Off unless both <see cref="ControlUri"/> and
/// <see cref="Key"/> are set; then the realtime endpoints also speak GRIP and in-app messages are published to
/// Pushpin by channel <c>device:{id}</c>, so a device connected through one node gets what any node decides.
/// </summary>
public sealed class GripOptions
{
    /// <summary>Pushpin's HTTP publish endpoint, e.g. <c>http://127.0.0.1:5561</c> (no default: GRIP is off).</summary>
    public Uri? ControlUri { get; set; }

    /// <summary>Pushpin's <c>sig_key</c>: requests through Pushpin carry a <c>Grip-Sig</c> JWT (HS256) signed with it,
    /// and only those are trusted with GRIP. At least 32 characters (no default; Pushpin's <c>changeme</c> is refused).</summary>
    [MinLength(32)]
    public string? Key { get; set; }

    /// <summary>The issuer Pushpin writes in <c>Grip-Sig</c> (default <c>pushpin</c>, Pushpin's <c>sig_iss</c> default).</summary>
    [Required]
    public string Issuer { get; set; } = "pushpin";

    /// <summary>Most messages in one publish POST (default 1,000: Pushpin takes many items per POST, and one
    /// request per burst keeps a follow-up wave from opening a connection per device).</summary>
    [Range(1, 100_000)]
    public int MaxPublishBatch { get; set; } = 1000;

    /// <summary>
    /// Least time between the starts of two publish POSTs (default 50 ms; zero turns pacing off). A message published
    /// after a quiet spell goes at once; under load, what arrives within the interval goes in one POST. Measured
    /// with Pushpin 1.36 (docs/benchmarks.md, "Pushpin at the realtime edge"): it answers each POST in a few ms but
    /// falls behind delivering them at 50 single-message POSTs/s and more (seconds of backlog), while the same
    /// messages in 20 POSTs/s arrive in about 5 ms.
    /// </summary>
    public TimeSpan MinPublishInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A publish POST that takes longer fails (default 10 s); its messages are re-sent when each device
    /// reconnects, as for any lost in-app send.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often Pushpin calls back for an idle WebSocket (default 30 s), so a device that stopped sending
    /// heartbeats is closed even when no node hears from it.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>SSE comment Pushpin sends on an idle held stream (default 15 s, as the direct SSE path).</summary>
    public TimeSpan SseKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Pushpin calls back for a held SSE stream this often while the client stays connected (GRIP
    /// <c>rel=next</c> link; default 30 s). SSE clients send no heartbeats, so this is what keeps their presence
    /// fresh; once the stream closes the call-backs stop and the device goes offline within the presence window.</summary>
    public TimeSpan SseRecheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => ControlUri is not null && !string.IsNullOrEmpty(Key);
}
