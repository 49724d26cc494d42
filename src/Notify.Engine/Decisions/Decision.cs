using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Engine.Decisions;

/// <summary>Everything a decision depends on. The decision reads nothing else: no clock, no store.</summary>
/// <param name="FromStep">The first step to consider: 0 for a new notification, the next step for a follow-up.</param>
/// <param name="AlreadyReached">Device ids that already got the notification; a later step passes them over on the same channel.</param>
/// <param name="EnabledChannels">Channels with an adapter configured; a step on another channel is passed over.</param>
public sealed record DecisionInput(Notification Notification, User User, IReadOnlyList<DeviceSnapshot> Devices, Rule Rule,
    int FromStep, IReadOnlyCollection<(string DeviceId, Channel Channel)> AlreadyReached, IReadOnlySet<Channel> EnabledChannels,
    DateTimeOffset Now);

/// <summary>What to do now: send over <see cref="Channel"/> to <see cref="Targets"/> at step <see cref="Step"/>,
/// or nothing (<see cref="Step"/> null) when no step from <see cref="DecisionInput.FromStep"/> on can reach the user.</summary>
/// <param name="ToUser">True for a step that goes to the person (email) rather than to devices.</param>
public sealed record Decision(int? Step, Channel? Channel, IReadOnlyList<DeviceSnapshot> Targets, bool ToUser, string Reason,
    IReadOnlyList<TraceEntry> Trace)
{
    public bool Found => Step is not null;
}
