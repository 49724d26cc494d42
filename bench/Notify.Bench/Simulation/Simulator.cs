using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;

namespace Notify.Bench.Simulation;

/// <summary>The delivery policies the benchmark compares on the same event stream.</summary>
internal enum PolicyKind
{
    /// <summary>Every device at once: push to phones, tablets and watches, in-app on desktops (what most products do); held
    /// through the user's quiet hours unless the user allows the priority.</summary>
    FanOut,
    /// <summary>Only the device used most recently (push, or in-app on a desktop); held through quiet hours like fan-out.</summary>
    MostRecent,
    /// <summary>The desktop in-app while the user is at it; phone push 2 minutes later if unseen, or at once when the desktop
    /// is idle; held during quiet hours (Slack's notification schedule).</summary>
    SlackStyle,
    /// <summary>The real planner and the shipped rules, heuristic ranking.</summary>
    NotifyRules,
    /// <summary>The real planner and rules, ranking with the learned response model.</summary>
    NotifyModel,
    /// <summary>The real planner and rules, ties after presence broken at random: how training outcomes are collected.</summary>
    Explore,
    /// <summary>Fan-out that ignores quiet hours (buzzes at 3 a.m.): a reference row only, not a baseline Notify is held to.</summary>
    FanOutIgnoringQuietHours,
}

internal static class PolicyKinds
{
    /// <summary>The baselines Notify is compared with: they hold through quiet hours as the rules do.</summary>
    public static readonly PolicyKind[] Baselines = [PolicyKind.FanOut, PolicyKind.MostRecent, PolicyKind.SlackStyle];

    public static bool IsNotify(this PolicyKind p) => p is PolicyKind.NotifyRules or PolicyKind.NotifyModel or PolicyKind.Explore;
}

/// <summary>What one policy did to one user's events.</summary>
internal sealed class PolicyTally
{
    public int Events;
    public long Deliveries, Interruptions, LowBattery;
    /// <summary>Alerting deliveries sent while the user's quiet hours held them back (the policy's own choice).</summary>
    public long QuietViolations;
    /// <summary>Alerting deliveries sent outside quiet hours that reached their device only inside them (a phone switched
    /// off or without a network until then, a desktop that connects then): the provider's late delivery, not a choice.</summary>
    public long QuietLateArrivals;
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
        QuietLateArrivals += other.QuietLateArrivals;
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
/// <param name="Category">The event's category.</param>
internal readonly record struct EventNote(string First, int Held, int SeenAfter, int Deliveries, int SeenOnDecision, string Category);

/// <summary>
/// Replays one user's events through one policy on the simulated timeline. Notify's policies run the real
/// <see cref="Notify.Engine.Planning.Planner"/> with the real rules at the simulated minute (see <see cref="NotifyPolicy"/>).
/// The baselines hold through the user's quiet hours as the rules do (until the quiet period ends, unless the user allows
/// the priority; nothing if the TTL ends first), then send as they always do.
/// Whether and when the user notices a delivery is drawn minute by minute from a hazard that depends on the device's
/// state (in use, at hand, away; asleep), with common random numbers across policies.
/// </summary>
internal sealed class Simulator(int seed, RuleSet rules, ResponseScoring? scoring = null, IOutcomeRecorder? recorder = null)
{
    private static readonly ResponseScoring ExploreScoring = new(new RandomTieBreaks());

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
                case PolicyKind.FanOut or PolicyKind.FanOutIgnoringQuietHours:
                    var all = policy == PolicyKind.FanOut ? AfterQuietHours(user, priority, ev.Minute, limit) : ev.Minute;
                    if (all >= limit) break;
                    run.Decided("every device", all);
                    foreach (var d in user.Devices) run.Send(d, ChannelOf(d), false, all);
                    break;
                case PolicyKind.MostRecent:
                    var at = AfterQuietHours(user, priority, ev.Minute, limit);
                    if (at >= limit) break;
                    var recent = user.Devices.OrderByDescending(d => d.States[at].LastFocus).ThenBy(d => d.Index).First();
                    run.Decided($"{recent.Kind}", at);
                    run.Send(recent, ChannelOf(recent), false, at);
                    break;
                case PolicyKind.SlackStyle:
                    SlackStyle(run, user, priority);
                    break;
                default:
                    var model = policy switch { PolicyKind.NotifyModel => scoring, PolicyKind.Explore => ExploreScoring, _ => null };
                    NotifyPolicy.Run(run, user, rule, ev.Priority, model, times.Typical(user.User.AppId, user.User.Id),
                        policy == PolicyKind.Explore ? recorder : null);
                    if (run.SeenAfterDelivery is { } delay) acks.Add((run.Seen, delay));
                    break;
            }
            run.Finish(tally, priority);
        }
        return tally;
    }

    /// <summary>The minute a baseline may send an event of <paramref name="priority"/> decided at <paramref name="minute"/>:
    /// then, or the end of the user's quiet period when it falls inside one the priority does not pass (the rules'
    /// <c>quietHours: hold</c>); <paramref name="limit"/> or later when the TTL ends first.</summary>
    internal static int AfterQuietHours(SimUser user, Priority priority, int minute, int limit)
    {
        var quiet = QuietHoursCalculator.At(user.User.QuietHours, user.Zone, Population.At(minute));
        if (!quiet.IsQuiet || QuietHoursCalculator.Allows(user.User.QuietHours, priority)) return minute;
        return quiet.Until is { } until ? Math.Max(minute + 1, (int)Math.Ceiling((until - Population.Start).TotalMinutes)) : limit;
    }

    private static Channel ChannelOf(SimDevice d) => d.Kind == DeviceKind.Desktop ? Channel.InApp : Channel.Push;

    private void SlackStyle(EventRun run, SimUser user, Priority priority)
    {
        var t = AfterQuietHours(user, priority, run.Event.Minute, run.Limit);
        if (t >= run.Limit) return;
        var desktop = user.Devices.FirstOrDefault(d => d.Kind == DeviceKind.Desktop);
        if (desktop is not null && desktop.States[t] is { Online: true } s && s.LastFocus >= t - 5)
        {
            run.Decided("desktop", t);
            run.Send(desktop, Channel.InApp, false, t);
            t += 2;
            if (run.Seen < t || t >= run.Limit) return;
        }
        run.Decided("mobile devices", t);
        foreach (var d in user.Devices.Where(d => d.IsMobile)) run.Send(d, Channel.Push, false, t);
    }

    /// <summary>The exploration policy's "model": a score that is a deterministic hash of what the model would see about
    /// the candidate (device state, local time, category, step), so ties after presence are broken at random but the
    /// same for a seed. It scores only; no shipped rule skips a step on it.</summary>
    private sealed class RandomTieBreaks : IResponseModel
    {
        public string Description => "random tie-breaks (exploration)";

        public double Score(in ResponseFeatures f)
        {
            var h = 0x7A3;
            foreach (var part in new[] { f.Platform, f.Presence, f.Connectivity, f.Category, f.Channel })
                foreach (var c in part) h = Hash.Combine(h, c, 31);
            var minute = (int)Math.Round(f.LocalHour * 60) + f.Weekday * 1440;
            return Hash.Uniform(h, f.Step, minute, (int)f.SecondsSinceActive, (int)Math.Round(f.BatteryLevel * 100));
        }
    }

    /// <summary>One event under one policy: the deliveries made and when the user first noticed one.</summary>
    internal sealed class EventRun(Simulator sim, SimUser user, SimEvent ev, int limit)
    {
        private readonly List<(SimDevice Device, Channel Channel, bool Silent, int SentAt, int DeliveredAt)> _sent = [];
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
        public void Send(SimDevice d, Channel channel, bool silent, int minute)
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
            _sent.Add((d, channel, silent, minute, delivered));
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
                Seen < Limit ? Seen - Event.Minute : -1, _decisions, Seen < Limit ? _seenOnDecision : 0, Event.Category));
            bool Quiet(int m) => QuietHoursCalculator.At(user.User.QuietHours, user.Zone, Population.At(m)).IsQuiet
                                 && !QuietHoursCalculator.Allows(user.User.QuietHours, priority);
            foreach (var (device, _, silent, sentAt, at) in _sent)
            {
                if (at > Seen) continue; // still pending when it was seen elsewhere: cleared, never shown
                tally.Deliveries++;
                if (device.States[at].LowBattery) tally.LowBattery++;
                if (silent) continue;
                tally.Interruptions++;
                if (!Quiet(at)) continue;
                if (Quiet(sentAt)) tally.QuietViolations++;
                else tally.QuietLateArrivals++;
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
