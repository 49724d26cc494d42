using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;

namespace Notify.Bench.Simulation;

/// <summary>The delivery policies the benchmark compares on the same event stream.</summary>
internal enum PolicyKind
{
    /// <summary>Every device at once: push to phones, tablets and watches, in-app on desktops (what most products do).</summary>
    FanOut,
    /// <summary>Only the device used most recently (push, or in-app on a desktop).</summary>
    MostRecent,
    /// <summary>The desktop in-app while the user is at it; phone push 2 minutes later if unseen, or at once when the desktop
    /// is idle; held during quiet hours (Slack's notification schedule).</summary>
    SlackStyle,
    /// <summary>The real engine and the shipped rules, heuristic ranking.</summary>
    NotifyRules,
    /// <summary>The real engine and rules, ranking with the learned response model.</summary>
    NotifyModel,
    /// <summary>The real engine and rules, ties after presence broken at random: how training outcomes are collected.</summary>
    Explore,
}

/// <summary>What one policy did to one user's events.</summary>
internal sealed class PolicyTally
{
    public int Events;
    public long Deliveries, Interruptions, QuietViolations, LowBattery;
    /// <summary>Minutes from the notify call until the user saw it; +∞ when never (before the TTL).</summary>
    public List<double> TimeToSeen { get; } = [];
    /// <summary>One note per event, in event order, when the simulator explains (<c>--breakdown</c>).</summary>
    public List<EventNote>? Notes { get; set; }

    public void Add(PolicyTally other)
    {
        Events += other.Events;
        Deliveries += other.Deliveries;
        Interruptions += other.Interruptions;
        QuietViolations += other.QuietViolations;
        LowBattery += other.LowBattery;
        TimeToSeen.AddRange(other.TimeToSeen);
    }
}

/// <summary>How one event went under one policy, for the breakdown.</summary>
/// <param name="First">The first delivery: rule, step, channel and device kinds (or what held it first).</param>
/// <param name="Held">Minutes the first delivery was held (quiet hours, a deferral) after the notify call.</param>
/// <param name="SeenAfter">Minutes from the notify call until seen; -1 when never.</param>
/// <param name="Deliveries">Decisions that sent (1 = the first delivery only).</param>
/// <param name="SeenOnDecision">Which of those decisions' deliveries was seen (1 = the first), 0 when never.</param>
internal readonly record struct EventNote(string First, int Held, int SeenAfter, int Deliveries, int SeenOnDecision);

/// <summary>
/// Replays one user's events through one policy on the simulated timeline. Notify's policies call the real
/// <see cref="DecisionEngine"/> with the real rules at the simulated minute (device snapshots as the devices would have
/// reported them) and follow the workflow's timing: follow-up after the step's wait unless seen, release at the end
/// of a hold, a device-condition deferral decided again on device reports, nothing after the TTL.
/// Whether and when the user notices a delivery is drawn minute by minute from a hazard that depends on the device's
/// state (in use, at hand, away; asleep), with common random numbers across policies.
/// </summary>
internal sealed class Simulator(int seed, RuleSet rules, ResponseScoring? scoring = null, IOutcomeRecorder? recorder = null)
{
    private static readonly IReadOnlySet<Channel> Channels = new HashSet<Channel> { Channel.InApp, Channel.Push };

    public int Seed => seed;

    /// <summary>When set, every policy's tally keeps an <see cref="EventNote"/> per event.</summary>
    public bool Explain { get; init; }

    public PolicyTally Run(SimUser user, PolicyKind policy)
    {
        var tally = new PolicyTally { Notes = Explain ? [] : null };
        var end = user.Asleep.Length;
        // What the server learns from this user's acknowledgements, for steps with a learned wait: only this policy's own
        // outcomes, each from the minute it was seen on (no knowledge from the future).
        var times = new ResponseTimes();
        var acks = new List<(int At, TimeSpan Delay)>();
        foreach (var ev in user.Events)
        {
            foreach (var (_, delay) in acks.Where(a => a.At <= ev.Minute).OrderBy(a => a.At)) times.Observe(user.User.AppId, user.User.Id, delay);
            acks.RemoveAll(a => a.At <= ev.Minute);
            var rule = rules.Match(ev.Category)!;
            var ttl = rule.Ttl ?? TimeSpan.FromDays(1);
            var limit = Math.Min(end, ev.Minute + (int)Math.Ceiling(ttl.TotalMinutes));
            var priority = ev.Priority ?? rule.Priority ?? Priority.Normal;
            var run = new EventRun(this, user, ev, limit);
            switch (policy)
            {
                case PolicyKind.FanOut:
                    run.Decided("every device", ev.Minute);
                    foreach (var d in user.Devices) run.Send(d, ChannelOf(d), false, ev.Minute, -1);
                    break;
                case PolicyKind.MostRecent:
                    var recent = user.Devices.OrderByDescending(d => d.States[ev.Minute].LastFocus).ThenBy(d => d.Index).First();
                    run.Decided($"{recent.Kind}", ev.Minute);
                    run.Send(recent, ChannelOf(recent), false, ev.Minute, -1);
                    break;
                case PolicyKind.SlackStyle:
                    SlackStyle(run, user, priority);
                    break;
                default:
                    NotifyRules(run, user, rule, priority, policy, times);
                    if (run.SeenAfterDelivery is { } delay) acks.Add((run.Seen, delay));
                    break;
            }
            run.Finish(tally, priority);
        }
        return tally;
    }

    private static Channel ChannelOf(SimDevice d) => d.Kind == DeviceKind.Desktop ? Channel.InApp : Channel.Push;

    private void SlackStyle(EventRun run, SimUser user, Priority priority)
    {
        var t = run.Event.Minute;
        var quiet = QuietHoursCalculator.At(user.User.QuietHours, user.Zone, Population.At(t));
        if (quiet.IsQuiet && !QuietHoursCalculator.Allows(user.User.QuietHours, priority))
            t = quiet.Until is { } until ? (int)Math.Ceiling((until - Population.Start).TotalMinutes) : run.Limit;
        if (t >= run.Limit) return;
        var desktop = user.Devices.FirstOrDefault(d => d.Kind == DeviceKind.Desktop);
        if (desktop is not null && desktop.States[t] is { Online: true } s && s.LastFocus >= t - 5)
        {
            run.Decided("desktop", t);
            run.Send(desktop, Channel.InApp, false, t, 0);
            t += 2;
            if (run.Seen < t || t >= run.Limit) return;
        }
        run.Decided("mobile devices", t);
        foreach (var d in user.Devices.Where(d => d.IsMobile)) run.Send(d, Channel.Push, false, t, 1);
    }

    private void NotifyRules(EventRun run, SimUser user, Rule rule, Priority priority, PolicyKind policy, ResponseTimes times)
    {
        var ev = run.Event;
        var created = Population.At(ev.Minute);
        var n = new Notification
        {
            Id = $"ntf-{user.User.Id}-{ev.Index}",
            AppId = user.User.AppId,
            UserId = user.User.Id,
            Category = ev.Category,
            Priority = priority,
            CreatedAt = created,
            ExpiresAt = created + (rule.Ttl ?? TimeSpan.FromDays(1)),
            RuleName = rule.Name,
            RuleVersion = rule.Version,
            Status = NotificationStatus.Scheduled,
        };
        var record = policy == PolicyKind.Explore ? recorder : null;
        var reached = new HashSet<(string, Channel)>();
        int fromStep = 0, attempt = 0, t = ev.Minute;
        int? deferralOver = null;
        while (t < run.Limit && run.Seen > t)
        {
            var now = Population.At(t);
            var snapshots = user.Devices.Select(d => Population.Snapshot(d, t)).ToList();
            var input = new DecisionInput(n, user.User, snapshots, rule, fromStep, reached, Channels, now)
            {
                DeferralOver = deferralOver,
                IsRepeat = attempt > 0,
                TypicalResponse = times.Typical(user.User.AppId, user.User.Id),
                PresenceStaleAfter = DeviceRanking.DefaultPresenceStaleAfter,
            };
            if (policy == PolicyKind.NotifyModel) input = input with { ResponseScoreFor = scoring?.For(n, user.User, now) };
            if (policy == PolicyKind.Explore)
            {
                var minute = t;
                input = input with { ResponseScore = d => Hash.Uniform(seed ^ 0x7A3, user.Index, ev.Index, user.Devices.FindIndex(x => x.Device.Id == d.Device.Id), minute) };
            }
            var decision = DecisionEngine.Decide(input);
            if (decision.Suppressed) return;
            if (decision.Hold is { } hold)
            {
                fromStep = hold.Step;
                if (hold.Until is not { } until)
                {
                    t += 5; // a device-condition deferral: decided again when a device reports (about every 5 minutes)
                    deferralOver = null;
                    continue;
                }
                deferralOver = hold.Kind == HoldKind.Timer || (hold.Kind == HoldKind.QuietHours && deferralOver == hold.Step) ? hold.Step : null;
                t = Math.Max(t + 1, (int)Math.Ceiling((until - Population.Start).TotalMinutes));
                continue;
            }
            if (!decision.Found) break;
            var step = decision.Step!.Value;
            var what = $"rule {rule.Name}, step {step + 1}, {Engine.Model.Names.Of(decision.Channel!.Value)} to " +
                       $"{string.Join("+", decision.Targets.Select(x => user.Devices.First(d => d.Device.Id == x.Device.Id).Kind))}" +
                       $"{(decision.Targets.All(x => x.State.Online) ? "" : " (not all online)")}";
            run.Decided(what, t);
            var deliveries = new List<Delivery>();
            foreach (var target in decision.Targets)
            {
                var device = user.Devices.First(d => d.Device.Id == target.Device.Id);
                reached.Add((device.Device.Id, decision.Channel!.Value));
                run.Send(device, decision.Channel!.Value, decision.Silent, t, step);
                deliveries.Add(new Delivery($"dlv-{n.Id}-{step}-{attempt}-{device.Index}", n.Id, step, device.Device.Id, decision.Channel!.Value,
                    DeliveryStatus.Sent, now, now, null));
            }
            record.Decided(user.User, n, rule, decision, deliveries, now);
            if (decision.Wait is not { } wait) break;
            var due = t + (int)Math.Ceiling(wait.TotalMinutes);
            if (step + 1 < rule.Steps.Length) { fromStep = step + 1; attempt = 0; }
            else if (attempt < rule.Repeat) { fromStep = step; attempt++; }
            else break;
            if (due >= run.Limit || run.Seen < due) break;
            record?.Unanswered(n.Id, step, OutcomeKind.FollowedUp, Population.At(due));
            t = due;
            deferralOver = null;
        }
        if (record is null) return;
        if (run.SeenOn is { } seenOn) record.Responded(n.Id, seenOn.Device.Id, AckAction.Seen, Population.At(run.Seen));
        else record.Unanswered(n.Id, null, OutcomeKind.Expired, Population.At(run.Limit));
    }

    /// <summary>One event under one policy: the deliveries made and when the user first noticed one.</summary>
    private sealed class EventRun(Simulator sim, SimUser user, SimEvent ev, int limit)
    {
        private readonly List<(SimDevice Device, Channel Channel, bool Silent, int DeliveredAt)> _sent = [];
        private string? _first;
        private int _firstAt, _decisions, _seenOnDecision;

        /// <summary>A decision that sends, at <paramref name="minute"/> (for the breakdown; the first one names the event).</summary>
        public void Decided(string what, int minute)
        {
            if (_decisions++ == 0) (_first, _firstAt) = (what, minute);
        }

        public SimEvent Event { get; } = ev;
        public int Limit { get; } = limit;
        /// <summary>The minute the user first noticed it, or <see cref="int.MaxValue"/>.</summary>
        public int Seen { get; private set; } = int.MaxValue;
        public SimDevice? SeenOn { get; private set; }

        /// <summary>How long after the delivery that was seen reached its device the user noticed it (the middle of the
        /// minute), or null when unseen: what the server learns from an acknowledgement.</summary>
        public TimeSpan? SeenAfterDelivery { get; private set; }

        /// <summary>Sends at <paramref name="minute"/>; a push reaches a device when it has power and a network, an in-app
        /// message when the device holds a connection. Draws when (if ever, before the TTL or an earlier notice) the
        /// user notices it there.</summary>
        public void Send(SimDevice d, Channel channel, bool silent, int minute, int step)
        {
            // A delivery in the same minute as a notice elsewhere is still shown (and counted); a later one is not.
            var stop = Seen == int.MaxValue ? Limit : Math.Min(Limit, Seen + 1);
            var delivered = -1;
            for (var m = minute; m < stop; m++)
            {
                var s = d.States[m];
                if (channel == Channel.Push ? !s.PoweredOff && s.Connectivity != ConnectivityType.None : s.Online) { delivered = m; break; }
            }
            if (delivered < 0) return;
            _sent.Add((d, channel, silent, delivered));
            for (var m = delivered; m < Math.Min(Limit, Seen); m++)
            {
                if (Hash.Uniform(sim.Seed, user.Index, Event.Index, d.Index, m) < Hazard(user, d, m, channel, silent, m == delivered))
                {
                    Seen = m;
                    SeenOn = d;
                    SeenAfterDelivery = TimeSpan.FromMinutes(m - delivered + 0.5);
                    _seenOnDecision = _decisions;
                    return;
                }
            }
        }

        public void Finish(PolicyTally tally, Priority priority)
        {
            tally.Events++;
            tally.TimeToSeen.Add(Seen < Limit ? Seen - Event.Minute + 0.5 : double.PositiveInfinity);
            tally.Notes?.Add(new EventNote(_first ?? "nothing sent", _first is null ? 0 : _firstAt - Event.Minute,
                Seen < Limit ? Seen - Event.Minute : -1, _decisions, Seen < Limit ? _seenOnDecision : 0));
            foreach (var (device, _, silent, at) in _sent)
            {
                if (at > Seen) continue; // still pending when it was seen elsewhere: cleared, never shown
                tally.Deliveries++;
                if (device.States[at].LowBattery) tally.LowBattery++;
                if (silent) continue;
                tally.Interruptions++;
                if (QuietHoursCalculator.At(user.User.QuietHours, user.Zone, Population.At(at)).IsQuiet
                    && !QuietHoursCalculator.Allows(user.User.QuietHours, priority))
                    tally.QuietViolations++;
            }
        }
    }

    /// <summary>The chance the user notices a delivery on <paramref name="d"/> during minute <paramref name="m"/>:
    /// high on the device in use, a fair chance from an alert on a device at hand (a buzz, a wrist tap, a desktop sound)
    /// in its first minute, little afterwards until the device is used again, none while asleep or away from it.</summary>
    internal static double Hazard(SimUser user, SimDevice d, int m, Channel channel, bool silent, bool first)
    {
        if (user.Asleep[m]) return 0;
        var s = d.States[m];
        if (s.PoweredOff) return 0;
        var alert = first && !silent;
        if (channel == Channel.Push)
        {
            if (s.Focus) return first ? 0.9 : 0.3;
            if (!s.Near) return 0;
            return alert ? d.Kind switch { DeviceKind.Watch => 0.75, DeviceKind.Phone => 0.55, _ => 0.3 } : 0.01;
        }
        if (s.Focus) return s.Foreground ? 0.9 : d.Kind == DeviceKind.Desktop ? 0.6 : 0.4;
        if (!s.Near) return 0;
        return alert ? d.Kind == DeviceKind.Desktop ? 0.15 : 0.05 : 0.01;
    }
}
