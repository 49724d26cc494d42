using Notify.Engine.Channels;
using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Rules;
using Notify.Engine.Storage;

namespace Notify.Engine.Planning;

/// <summary>What a plan depends on besides the notification, the user, the devices and the rule: the instant, the
/// settings, the learned model and the user's typical response time. No clock and no store: the handler reads them.</summary>
public sealed record PlanContext(DateTimeOffset Now, DeliveryOptions Options)
{
    /// <summary>Makes an id with a prefix (<c>ntf</c>, <c>dlv</c>, <c>tmr</c>, <c>evt</c>); time-ordered by default.</summary>
    public Func<string, string>? NewId { get; init; }

    /// <summary>The learned response model; null or without a model, devices are ranked by the heuristic alone.</summary>
    public ResponseScoring? Scoring { get; init; }

    /// <summary>The user's typical response time, for a step with a learned wait; null when unknown.</summary>
    public TimeSpan? TypicalResponse { get; init; }

    internal string Id(string prefix) => NewId?.Invoke(prefix) ?? Ids.New(prefix, Now);
}

/// <summary>
/// What to do about one event (a notify call, a timer, an acknowledgement, a device report, a provider's answer): the
/// changes to commit atomically, then the effects to run once they are durable. The planner makes it; a handler commits
/// <see cref="Changes"/> and runs <see cref="Effects"/> of the changes that applied; simulate returns it unrun.
/// </summary>
public sealed record Plan(IReadOnlyList<NotificationChange> Changes, IReadOnlyList<Effect> Effects)
{
    public static readonly Plan Nothing = new([], []);

    /// <summary>The notification as the plan leaves it (null when it does not exist or nothing changes).</summary>
    public Notification? Notification { get; init; }

    /// <summary>The decision taken, if the plan decided (accept, follow-up, release, re-decision).</summary>
    public Decision? Decision { get; init; }

    /// <summary>For a notify call: the answer (also stored for idempotent replays).</summary>
    public NotifyResult? Result { get; init; }

    /// <summary>The rule the decision followed.</summary>
    public Rule? Rule { get; init; }

    /// <summary>Every trace line the plan adds, in order.</summary>
    public IEnumerable<TraceEntry> Trace => Changes.SelectMany(c => c.Trace);

    public bool IsEmpty => Changes.Count == 0 && Effects.Count == 0;
}

/// <summary>Something to do once a plan's changes are durable. A closed set: each handler runs them the same way.</summary>
public abstract record Effect(string NotificationId);

/// <summary>Send a realtime message (a notification, a clear) to a device's open connections.</summary>
/// <param name="EventId">The SSE id the device resumes from (the delivery id), if the message has one.</param>
public sealed record SendToDevice(string NotificationId, string DeviceId, ServerMessage Message, string? EventId) : Effect(NotificationId);

/// <summary>Hand a push or email delivery (or a silent clear push) to the channel dispatcher.</summary>
public sealed record Dispatch(string NotificationId, DispatchJob Job) : Effect(NotificationId);

/// <summary>Record the decided device deliveries as training data (<see cref="IOutcomeRecorder.Decided"/>).</summary>
public sealed record RecordDecided(string NotificationId, User User, Notification Notification, Rule Rule, Decision Decision,
    IReadOnlyList<Delivery> Deliveries, DateTimeOffset At) : Effect(NotificationId);

/// <summary>The user responded on a device: record the outcome and, when it reached that device, the response time.</summary>
public sealed record RecordResponse(string NotificationId, string AppId, string UserId, string DeviceId, AckAction Action, DateTimeOffset At,
    TimeSpan? ResponseTime) : Effect(NotificationId);

/// <summary>Open outcomes (of one step, when given) ended unseen.</summary>
public sealed record RecordUnanswered(string NotificationId, int? Step, OutcomeKind Kind, DateTimeOffset At) : Effect(NotificationId);

/// <summary>The notification is held until one of the user's devices is ready: decide again when one reports.</summary>
public sealed record WatchDevices(string NotificationId, string AppId, string UserId) : Effect(NotificationId);
