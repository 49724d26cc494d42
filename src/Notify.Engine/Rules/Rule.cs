using System.Collections.Immutable;
using Notify.Engine.Model;

namespace Notify.Engine.Rules;

/// <summary>Who a step goes to.</summary>
public enum StepTarget
{
    /// <summary>The online device the user is paying attention to (presence active, latest activity).</summary>
    Attention,
    /// <summary>The best-ranked reachable device; see <see cref="Decisions.DeviceRanking"/>.</summary>
    Best,
    /// <summary>The person rather than a device (email).</summary>
    User,
    /// <summary>Every eligible device: explicit fan-out, for the rare rule that wants it.</summary>
    All,
}

/// <summary>What a rule does during the user's quiet hours.</summary>
public enum QuietHoursMode { Hold, Silent, Ignore }

/// <summary>A loaded, compiled escalation rule. Immutable: an edit makes a new version.</summary>
/// <param name="Version">A hash of the source; a notification keeps the version it started with.</param>
/// <param name="Categories">The categories it serves; empty for the default rule.</param>
public sealed record Rule(string Name, string Version, ImmutableArray<string> Categories, Priority? Priority,
    TimeSpan? Ttl, QuietHoursMode QuietHours, ImmutableArray<RuleStep> Steps, string Source, string? File);

/// <summary>One step of the escalation chain.</summary>
/// <param name="Wait">How long to wait for someone to see it before the next step; none ends the chain.</param>
/// <param name="Where">Which devices are eligible (evaluated per device).</param>
/// <param name="When">Whether the step applies at all (evaluated once).</param>
public sealed record RuleStep(int Index, StepTarget To, Channel Via, TimeSpan? Wait, Condition? Where, Condition? When);
