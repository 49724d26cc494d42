using System.Globalization;
using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Planning;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Engine.Timers;

namespace Notify.Bench.Simulation;

/// <summary>
/// Notify's policies on the simulated timeline: the real <see cref="Planner"/> (the same functions the server's handlers
/// call) decides the notify call, each timer it schedules (follow-ups, repeats, the end of a hold, a device hold's give-up
/// at the end of its step's wait) and, while the notification is held until a device is ready, a re-decision on the
/// devices' reports (about every 5 minutes). What the simulator adds is only what the server's store, clock and channels
/// do: it keeps the notification, its deliveries and timers, fires timers at their minute, hands every new delivery to
/// <see cref="Simulator.EventRun.Send"/>, and stops when the user saw it or the TTL ended.
/// </summary>
internal static class NotifyPolicy
{
    /// <summary>A device-hold re-decision: the simulated devices report about this often.</summary>
    private const int ReportEvery = 5;

    private static readonly DeliveryOptions Options = new()
    {
        // Email is not configured in the simulation; push with both providers the population uses.
        EnabledChannels = { Channel.Push },
        PushProviders = { "fcm", "apns" },
    };

    /// <param name="scoring">The learned model (null: the heuristic ranking).</param>
    /// <param name="typical">The user's typical response time, for steps with a learned wait.</param>
    /// <param name="record">Where outcomes go (the <c>--record</c> run), or null.</param>
    public static void Run(Simulator.EventRun run, SimUser user, Rule rule, Priority? priority, ResponseScoring? scoring, TimeSpan? typical,
        IOutcomeRecorder? record)
    {
        var ev = run.Event;
        var ids = 0;
        var eventId = $"{user.User.Id}-{ev.Index}";
        PlanContext Context(int minute) => new(Population.At(minute), Options)
        {
            NewId = prefix => prefix == "ntf" ? $"ntf-{eventId}" : $"{prefix}-{eventId}-{ids++.ToString(CultureInfo.InvariantCulture)}",
            Scoring = scoring,
            TypicalResponse = typical,
        };
        IReadOnlyList<DeviceSnapshot> Devices(int minute) => user.Devices.Select(d => Population.Snapshot(d, minute)).ToList();

        var t = ev.Minute;
        var command = new NotifyCommand(user.User.Id, ev.Category, null, null, null, priority, null, null, null);
        var state = new State();
        state.Apply(Planner.Accept(user.User.AppId, command, user.User, Devices(t), rule, [], Context(t)), run, user, t, record);
        var nextReport = t + ReportEvery;
        for (var guard = 0; guard < 10_000; guard++)
        {
            var n = state.Notification!;
            if (n.Status.IsFinal()) break;
            var timer = state.Timers.MinBy(x => x.DueAt);
            var timerAt = timer is null ? int.MaxValue : Math.Max(t, (int)Math.Ceiling((timer.DueAt - Population.Start).TotalMinutes));
            var deviceHold = n is { Status: NotificationStatus.Held, Hold: HoldKind.Device };
            var next = deviceHold ? Math.Min(timerAt, Math.Max(nextReport, t + 1)) : timerAt;
            if (next >= run.Limit || run.Seen <= next) break;
            t = next;
            if (timer is not null && timerAt == t)
                state.Apply(Planner.Fire(timer, state.Details, user.User, Devices(t), rule, Context(t)), run, user, t, record);
            else
            {
                state.Apply(Planner.Redecide(state.Details, user.User, Devices(t), rule, "a device reported", onlyIfReleased: true, Context(t)),
                    run, user, t, record);
                nextReport = t + ReportEvery;
            }
            if (state.Notification is { Status: NotificationStatus.Held, Hold: HoldKind.Device } && !deviceHold) nextReport = t + ReportEvery;
        }
        if (record is null) return;
        if (run.SeenOn is { } seenOn) record.Responded(state.Notification!.Id, seenOn.Device.Id, AckAction.Seen, Population.At(run.Seen));
        else record.Unanswered(state.Notification!.Id, null, OutcomeKind.Expired, Population.At(run.Limit));
    }

    /// <summary>What the store would hold for the notification: its row, its deliveries and its pending timers.</summary>
    private sealed class State
    {
        private readonly List<Delivery> _deliveries = [];
        public Notification? Notification { get; private set; }
        public List<TimerRecord> Timers { get; } = [];
        public NotificationDetails Details => new(Notification!, [.. _deliveries], [], null);

        /// <summary>Commits the plan's change to this notification and runs its effects: every new delivery is sent (a push
        /// reaches the device when it has a network, an in-app message when it holds a connection), outcomes are recorded.</summary>
        public void Apply(Plan plan, Simulator.EventRun run, SimUser user, int minute, IOutcomeRecorder? record)
        {
            foreach (var change in plan.Changes)
            {
                if (Notification is not null && change.NotificationId != Notification.Id) continue;
                if (change.Insert is { } inserted) Notification = inserted;
                if (change.Update is { } updated) Notification = updated;
                if (change.FiredTimer is { } fired) Timers.RemoveAll(x => x.Id == fired);
                if (change.DeleteAllTimers) Timers.Clear();
                Timers.RemoveAll(x => change.DeletedTimers.Contains(x.Id));
                Timers.AddRange(change.NewTimers);
                foreach (var u in change.DeliveryUpdates)
                {
                    var i = _deliveries.FindIndex(d => d.Id == u.DeliveryId);
                    if (i >= 0) _deliveries[i] = _deliveries[i] with { Status = u.Status, SentAt = u.SentAt ?? _deliveries[i].SentAt };
                }
                _deliveries.AddRange(change.NewDeliveries);
                if (change.NewDeliveries.Count == 0 || plan.Decision is not { Found: true } decision) continue;
                var kinds = string.Join("+", decision.Targets.Select(x => user.Devices.First(d => d.Device.Id == x.Device.Id).Kind));
                run.Decided($"rule {plan.Rule?.Name ?? Notification!.RuleName}, step {decision.Step + 1}, {Names.Of(decision.Channel!.Value)} to {kinds}" +
                            (decision.Targets.All(x => x.State.Online) ? "" : " (not all online)"), minute);
                foreach (var delivery in change.NewDeliveries)
                {
                    if (delivery.DeviceId is not { } id) continue; // email: not configured here
                    run.Send(user.Devices.First(d => d.Device.Id == id), delivery.Channel, delivery.Silent, minute);
                }
            }
            if (record is null) return;
            foreach (var effect in plan.Effects)
            {
                switch (effect)
                {
                    case RecordDecided r:
                        record.Decided(r.User, r.Notification, r.Rule, r.Decision, r.Deliveries, r.At);
                        break;
                    case RecordUnanswered u:
                        record.Unanswered(u.NotificationId, u.Step, u.Kind, u.At);
                        break;
                }
            }
        }
    }
}
