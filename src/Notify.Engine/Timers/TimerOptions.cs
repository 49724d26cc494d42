using System.ComponentModel.DataAnnotations;

namespace Notify.Engine.Timers;

/// <summary>
/// How timers are shared between nodes and fired. Every node claims the timers due soon with a lease in the store,
/// holds them in memory, renews the lease while it holds them and fires them; a node that dies stops renewing, its
/// leases run out and another node claims those timers. The same settings for SQLite and MongoDB.
/// </summary>
public sealed class TimerOptions
{
    /// <summary>This node's name on its leases (default null: the machine name, the process id and a random suffix, so two
    /// processes never share one). Set a stable name per node to have a restarted node take its own leases back at once
    /// instead of after <see cref="LeaseDuration"/>: it releases the leases in its name when it starts.</summary>
    public string? NodeId { get; set; }

    /// <summary>Timers due within this window are claimed and held in memory (default 10 seconds): long enough that a timer is
    /// claimed a poll or two before it is due, so one node's polls never make it late; short enough that what one node holds stays
    /// small and a node that joins gets work soon. Keep it below <see cref="LeaseDuration"/>: then a timer fired on time is fired
    /// before its claim runs out, and renewals write only the leases of timers running late (with 1M timers due over five
    /// minutes, renewing every held lease every 10 s cost p99 lateness 150 ms; see docs/benchmarks.md).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ClaimAhead { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the store is asked for claimable timers (default 5 seconds). This bounds how late a timer can be
    /// when no node held it as it came due: one created by another node for a moment it did not claim (its loop not running),
    /// or one whose node died (then add <see cref="LeaseDuration"/>). Each poll is one indexed query that returns nothing when
    /// there is nothing new.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claim lasts unless renewed (default 30 seconds); every third of this the node renews, in one update,
    /// the leases it holds that would otherwise run out before the renewal after next. A timer held by a node that dies fires at most this plus <see cref="PollInterval"/> late; shorter
    /// means faster take-over but a store that stalls longer than this lets another node take timers this node still holds
    /// (still fired once: the commit of a firing deletes the timer, and only one deletion can succeed).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many timers are claimed per query (default 5,000); a fuller window is claimed in several queries,
    /// each a short write, so other writes interleave.</summary>
    [Range(1, 1_000_000)]
    public int ClaimBatch { get; set; } = 5_000;

    /// <summary>Timers fired at once (default 8); each notification is still handled by one at a time.</summary>
    [Range(1, 1024)]
    public int Concurrency { get; set; } = 8;

    /// <summary><see cref="NodeId"/>, or a name made of the machine name, the process id and a random suffix.</summary>
    public string ResolveNodeId() => string.IsNullOrWhiteSpace(NodeId)
        ? $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}"
        : NodeId;
}

/// <summary>A node's lease on timers: new timers due before <paramref name="DueBefore"/> are stored already leased to
/// <paramref name="Owner"/> until <paramref name="Until"/> (and held in its memory), so the node that creates a timer due soon
/// needs no query to claim it.</summary>
public sealed record TimerLease(string Owner, DateTimeOffset Until, DateTimeOffset DueBefore);
