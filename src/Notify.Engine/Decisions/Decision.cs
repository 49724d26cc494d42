using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Engine.Decisions;

/// <summary>Everything a decision depends on. The decision reads nothing else: no clock, no store.</summary>
/// <param name="FromStep">The first step to consider: 0 for a new notification, the next step for a follow-up.</param>
/// <param name="AlreadyReached">Device ids that already got the notification; a later step passes them over on the same channel.</param>
/// <param name="EnabledChannels">Channels with an adapter configured; a step on another channel is passed over.</param>
public sealed record DecisionInput(Notification Notification, User User, IReadOnlyList<DeviceSnapshot> Devices, Rule Rule,
    int FromStep, IReadOnlyCollection<(string DeviceId, Channel Channel)> AlreadyReached, IReadOnlySet<Channel> EnabledChannels,
    DateTimeOffset Now)
{
    /// <summary>The step whose <c>defer: for</c> is over: it is sent now instead of deferred again.</summary>
    public int? DeferralOver { get; init; }

    /// <summary>Push providers with an adapter (<c>fcm</c>, <c>apns</c>); a device registered with another is passed
    /// over for push. Null means any.</summary>
    public IReadOnlySet<string>? PushProviders { get; init; }

    /// <summary>A repeat of the last step (the rule's <c>repeat</c>): devices that have it are not passed over.</summary>
    public bool IsRepeat { get; init; }

    /// <summary>The learned chance (0..1) that the user responds on a device within the step's wait; null when no
    /// model is loaded. <c>best</c> ranks by it right after presence; the trace shows it.</summary>
    public Func<DeviceSnapshot, double?>? ResponseScore { get; init; }

    /// <summary>The learned score for a given step and channel (what a model needs besides the device); when set it
    /// wins over <see cref="ResponseScore"/>. Built per decision by <c>Learning.ResponseScoring.For</c>.</summary>
    public Func<int, Channel, Func<DeviceSnapshot, double?>>? ResponseScoreFor { get; init; }

    /// <summary>Presence "active" not refreshed for this long counts as idle (<see cref="DeviceRanking.Aged"/>); null never ages.
    /// The host sets it from <c>Delivery:PresenceStaleAfter</c> (default 5 minutes).</summary>
    public TimeSpan? PresenceStaleAfter { get; init; }

    /// <summary>The user's typical response time (<see cref="Learning.ResponseTimes"/>), for a step with a learned wait;
    /// null when unknown (the step's default wait applies).</summary>
    public TimeSpan? TypicalResponse { get; init; }
}

/// <summary>Why and until when a notification waits instead of being sent.</summary>
public enum HoldKind
{
    /// <summary>The user's quiet hours (rule <c>quietHours: hold</c>, or <c>defer: until quietHoursEnd</c>).</summary>
    QuietHours,
    /// <summary>A step's <c>defer: for</c>.</summary>
    Timer,
    /// <summary>A step's <c>defer: until</c> a device condition (charging, Wi-Fi): decided again when a device reports.</summary>
    Device,
}

/// <param name="Until">When to decide again; null for <see cref="HoldKind.Device"/> (a device report triggers it; the TTL bounds it).</param>
public sealed record DecisionHold(HoldKind Kind, int Step, DateTimeOffset? Until, string Reason)
{
    /// <summary>For <see cref="HoldKind.Device"/>: the end of the step's wait, when the rule moves on to the next step if no
    /// device was ready by then; null when the step has no wait (the TTL bounds the hold).</summary>
    public DateTimeOffset? GiveUpAt { get; init; }
}

/// <summary>What to do now: send over <see cref="Channel"/> to <see cref="Targets"/> at step <see cref="Step"/>; or hold
/// (<see cref="Hold"/>); or suppress (a muted category); or nothing, when no step from <see cref="DecisionInput.FromStep"/> on
/// can reach the user.</summary>
/// <param name="ToUser">True for a step that goes to the person (email) rather than to devices.</param>
public sealed record Decision(int? Step, Channel? Channel, IReadOnlyList<DeviceSnapshot> Targets, bool ToUser, string Reason,
    IReadOnlyList<TraceEntry> Trace)
{
    /// <summary>Deliver without interrupting (quiet hours with <c>quietHours: silent</c>).</summary>
    public bool Silent { get; init; }

    public DecisionHold? Hold { get; init; }

    /// <summary>The user muted the category: record it, send nothing.</summary>
    public bool Suppressed { get; init; }

    /// <summary>How long to wait for a response before following up: the step's wait, resolved for this user when the
    /// step's wait is learned; null when the step has none (the chain ends there).</summary>
    public TimeSpan? Wait { get; init; }

    public bool Found => Step is not null && Hold is null && !Suppressed;
}
