using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Engine.Learning;

/// <summary>How a delivery ended, for training.</summary>
public enum OutcomeKind
{
    /// <summary>Acknowledged as seen on this device.</summary>
    Seen,
    /// <summary>Opened on this device.</summary>
    Opened,
    /// <summary>Dismissed on this device (a response too: the user noticed it).</summary>
    Dismissed,
    /// <summary>The user responded on another device first.</summary>
    SeenElsewhere,
    /// <summary>Unseen until the step's wait ran out and the rule followed up.</summary>
    FollowedUp,
    /// <summary>Unseen until the notification's TTL ran out.</summary>
    Expired,
}

/// <summary>A delivery as decided: who got it, when, with which features, and how long the step waits for a response.</summary>
/// <param name="Wait">The step's wait; null for a last step without one (then <see cref="OutcomeRecord.DefaultWindow"/> applies).</param>
public sealed record OutcomeStart(string DeliveryId, string NotificationId, string AppId, string UserId, string DeviceId,
    DateTimeOffset DecidedAt, TimeSpan? Wait, ResponseFeatures Features);

/// <summary>A decided delivery and what became of it (<see cref="Outcome"/> null while open).</summary>
public sealed record OutcomeRecord(OutcomeStart Start, OutcomeKind? Outcome, DateTimeOffset? ResolvedAt)
{
    /// <summary>The response window of a step without a wait: an hour.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(1);

    /// <summary>The label: responded on this device within the step's wait. Null while the outcome is open.</summary>
    public bool? Responded => Outcome switch
    {
        null => null,
        OutcomeKind.Seen or OutcomeKind.Opened or OutcomeKind.Dismissed =>
            ResolvedAt is { } at && at - Start.DecidedAt <= (Start.Wait ?? DefaultWindow),
        _ => false,
    };
}

/// <summary>
/// The port that records outcomes as training data. Calls must not block the workflow: an implementation queues
/// the write and returns (outcomes are not part of the notification's commit; losing a few in a crash costs nothing).
/// </summary>
public interface IOutcomeRecorder
{
    /// <summary>A delivery was decided (one call per target device).</summary>
    void Decided(OutcomeStart start);

    /// <summary>The user acknowledged the notification on <paramref name="deviceId"/>: that device's open outcomes get
    /// the action, the notification's other open outcomes <see cref="OutcomeKind.SeenElsewhere"/>.</summary>
    void Responded(string notificationId, string deviceId, AckAction action, DateTimeOffset at);

    /// <summary>The notification's open outcomes (of <paramref name="step"/> only, when given) ended unseen.</summary>
    void Unanswered(string notificationId, int? step, OutcomeKind kind, DateTimeOffset at);
}

/// <summary>Reads recorded outcomes back: whole, for training; or only the responses, for learned waits.</summary>
public interface IOutcomeSource
{
    Task<IReadOnlyList<OutcomeRecord>> ReadOutcomesAsync(CancellationToken ct = default);

    /// <summary>The responses (seen, opened, dismissed on the delivered device) decided at or after <paramref name="since"/>,
    /// in the order decided, without the features: what <see cref="ResponseTimes"/> learns from at start.</summary>
    Task<IReadOnlyList<ResponseRecord>> ReadResponsesAsync(DateTimeOffset since, CancellationToken ct = default);
}

/// <summary>A user responded <see cref="RespondedAt"/> to a delivery decided at <see cref="DecidedAt"/>.</summary>
public sealed record ResponseRecord(string AppId, string UserId, DateTimeOffset DecidedAt, DateTimeOffset RespondedAt);

public static class OutcomeRecording
{
    /// <summary>Records one <see cref="OutcomeStart"/> per device delivery the decision created (email deliveries,
    /// which have no device, are not device responses and are left out).</summary>
    public static void Decided(this IOutcomeRecorder? recorder, User user, Notification n, Rule rule, Decision decision,
        IEnumerable<Delivery> deliveries, DateTimeOffset now)
    {
        if (recorder is null || !decision.Found || decision.Channel is not { } channel) return;
        var local = ResponseFeatures.LocalTime(user, now);
        var step = decision.Step!.Value;
        var wait = decision.Wait ?? (step < rule.Steps.Length ? rule.Steps[step].Wait : null);
        foreach (var delivery in deliveries)
        {
            if (delivery.DeviceId is null || delivery.Step != step) continue;
            var target = decision.Targets.FirstOrDefault(t => t.Device.Id == delivery.DeviceId);
            if (target is null) continue;
            recorder.Decided(new OutcomeStart(delivery.Id, n.Id, n.AppId, n.UserId, delivery.DeviceId, now, wait,
                ResponseFeatures.From(n, local, target, channel, step, now)));
        }
    }

    public static OutcomeKind ToOutcome(this AckAction action) => action switch
    {
        AckAction.Seen => OutcomeKind.Seen,
        AckAction.Opened => OutcomeKind.Opened,
        _ => OutcomeKind.Dismissed,
    };
}
