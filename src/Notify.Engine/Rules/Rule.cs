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

/// <summary>What a rule does during the user's quiet hours (for priorities the user does not allow through).</summary>
public enum QuietHoursMode
{
    /// <summary>Hold the notification and decide again when quiet hours end (unless it expired by then).</summary>
    Hold,
    /// <summary>Deliver without interrupting: in-app and push marked silent (APNs passive).</summary>
    Silent,
    /// <summary>Deliver as if there were no quiet hours.</summary>
    Ignore,
}

/// <summary>A loaded, compiled escalation rule. Immutable: an edit makes a new version.</summary>
/// <param name="Version">A hash of the source; a notification keeps the version it started with.</param>
/// <param name="Categories">The categories it serves; empty for the default rule.</param>
public sealed record Rule(string Name, string Version, ImmutableArray<string> Categories, Priority? Priority,
    TimeSpan? Ttl, QuietHoursMode QuietHours, ImmutableArray<RuleStep> Steps, string Source, string? File)
{
    /// <summary>The most repeats a rule may ask for (as Opsgenie and PagerDuty cap theirs).</summary>
    public const int MaxRepeat = 10;

    /// <summary>How many times the last step is repeated (each after its wait) while nobody has seen it.</summary>
    public int Repeat { get; init; }

    /// <summary>The rule's <c>skipBelow</c>: with a learned model loaded, a step (other than the last, a repeat or <c>to: all</c>)
    /// whose best candidate's learned chance of a response within the wait is below this is passed over for the next step.
    /// Null (the default) never skips: the model only ranks. A step's own <see cref="RuleStep.SkipBelow"/> wins.</summary>
    public double? SkipBelow { get; init; }

    /// <summary>Named circles that conditions test with <c>'name' in device.regions</c> (where that device is) or
    /// <c>'name' in user.regions</c> (where the device the user is using is).</summary>
    public ImmutableDictionary<string, Region> Regions { get; init; } = ImmutableDictionary<string, Region>.Empty;
}

/// <summary>One step of the escalation chain: its alternatives (if / else-if / else) and how long to wait.</summary>
/// <param name="Alternatives">The first whose <c>when</c> holds is the step; a plain step has one.</param>
/// <param name="Wait">How long to wait for someone to see it before the next step; none ends the chain. For a learned
/// wait (<see cref="Learned"/>), its maximum: what code that does not resolve it per user waits.</param>
public sealed record RuleStep(int Index, ImmutableArray<StepAlternative> Alternatives, TimeSpan? Wait)
{
    /// <summary><c>wait: { learned: true, min: …, max: … }</c>: the wait is the user's typical response time, bounded;
    /// null for a fixed wait.</summary>
    public LearnedWait? Learned { get; init; }

    /// <summary>The step's <c>skipBelow</c> (see <see cref="Rule.SkipBelow"/>); null: the rule's.</summary>
    public double? SkipBelow { get; init; }
}

/// <summary>A step's wait learned per user (<c>wait: { learned: true, min: 1m, max: 15m, default: 15m }</c>): the user's
/// typical response time (<see cref="Learning.ResponseTimes"/>) clamped to [<see cref="Min"/>, <see cref="Max"/>];
/// <see cref="Default"/> while the user has too little history.</summary>
/// <param name="Default">The wait without history; <see cref="Max"/> unless the rule says otherwise.</param>
public sealed record LearnedWait(TimeSpan Min, TimeSpan Max, TimeSpan Default)
{
    /// <summary>The wait for a user whose typical response time is <paramref name="typical"/> (null: no history).</summary>
    public TimeSpan Resolve(TimeSpan? typical) => typical is { } t ? t < Min ? Min : t > Max ? Max : t : Default;

    /// <summary>How the wait was chosen, for the trace.</summary>
    public string Explain(TimeSpan? typical)
    {
        var bounds = $"learned, {Durations.Format(Min)}..{Durations.Format(Max)}";
        return typical is { } t
            ? $"wait {Durations.Format(Resolve(t))} ({bounds}; the user's typical response time is {Durations.Format(RoundUp(t))})"
            : $"wait {Durations.Format(Default)} ({bounds}; no response history for this user yet, so the default)";
    }

    private static TimeSpan RoundUp(TimeSpan t) => TimeSpan.FromSeconds(Math.Ceiling(t.TotalSeconds));
}

/// <summary>Who and how, under which condition.</summary>
/// <param name="Where">Which devices are eligible (evaluated per device).</param>
/// <param name="When">Whether this alternative applies (evaluated once); none means always (the "else").</param>
/// <param name="Defer">Hold the step back instead of sending at once.</param>
public sealed record StepAlternative(StepTarget To, Channel Via, Condition? Where, Condition? When, Deferral? Defer);

public enum DeferKind
{
    /// <summary>A fixed time after the step is reached.</summary>
    For,
    /// <summary>Until the user's quiet hours end (whatever their allow list says).</summary>
    QuietHoursEnd,
    /// <summary>Until an eligible device satisfies a condition (charging, on Wi-Fi, …).</summary>
    Device,
}

/// <summary>How a step is deferred; never past the notification's TTL.</summary>
/// <param name="Text">As written, for traces.</param>
public sealed record Deferral(DeferKind Kind, TimeSpan? For, Condition? Until, string Text);

/// <summary>A circle on the map.</summary>
public sealed record Region(double Lat, double Lon, double RadiusMeters)
{
    /// <summary>Great-circle distance in metres (haversine; the Earth as a sphere of radius 6,371 km).</summary>
    public static double Distance(double lat1, double lon1, double lat2, double lon2)
    {
        const double R = 6_371_000;
        static double Rad(double d) => d * Math.PI / 180;
        var dLat = Rad(lat2 - lat1);
        var dLon = Rad(lon2 - lon1);
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) + Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * R * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    public bool Contains(GeoLocation location) => Distance(Lat, Lon, location.Lat, location.Lon) <= RadiusMeters;
}
