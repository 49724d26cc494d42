using NodaTime;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;

namespace Notify.Engine.Decisions;

/// <summary>
/// Picks who gets a notification now. A pure function of its input: preferences (a muted category is suppressed),
/// then quiet hours (hold, silent or ignore, unless the priority is allowed), then the rule's steps from
/// <see cref="DecisionInput.FromStep"/>: for each, the first alternative whose <c>when</c> holds; steps that cannot
/// apply (channel off or not configured, nobody eligible) are passed over; a deferred step holds the notification.
/// The rule decides the order of steps; the learned model only ranks the devices a step allows, and skips a step only
/// when the rule says so (<c>skipBelow</c>). Every choice is explained in the trace, with a <see cref="TraceKind"/>.
/// </summary>
public static class DecisionEngine
{
    public static Decision Decide(DecisionInput input)
    {
        var trace = new List<TraceEntry>();
        var now = input.Now;
        void Trace(TraceKind kind, int? step, string? device, string message) => trace.Add(new TraceEntry(now, step, device, message, kind));

        var rule = input.Rule;
        var n = input.Notification;
        var user = input.User;
        // What the devices' presence means now: "active" reported long ago is idle (DecisionInput.PresenceStaleAfter).
        var devices = input.PresenceStaleAfter is { } stale ? input.Devices.Select(d => DeviceRanking.Aged(d, now, stale)).ToList() : input.Devices;
        if (input.FromStep == 0 && input.DeferralOver is null)
            Trace(TraceKind.Rule, null, null, $"rule '{rule.Name}' (version {rule.Version}) for category '{n.Category}', priority {Names.Of(n.Priority)}");

        if (user.Preferences.IsMuted(n.Category))
        {
            const string muted = "suppressed: the user muted this category";
            Trace(TraceKind.Suppressed, null, null, muted);
            return new Decision(null, null, [], false, muted, trace) { Suppressed = true };
        }

        var quiet = QuietHoursCalculator.At(user, now);
        var silent = false;
        if (quiet.IsQuiet)
        {
            if (QuietHoursCalculator.Allows(user.QuietHours, n.Priority))
                Trace(TraceKind.QuietHours, null, null, $"{quiet.Reason}, but priority {Names.Of(n.Priority)} is allowed through");
            else if (rule.QuietHours == QuietHoursMode.Hold)
            {
                var reason = $"held: {quiet.Reason}";
                Trace(TraceKind.Held, input.FromStep, null, quiet.Until >= n.ExpiresAt ? $"{reason}; it expires before then" : reason);
                return new Decision(input.FromStep, null, [], false, reason, trace) { Hold = new DecisionHold(HoldKind.QuietHours, input.FromStep, quiet.Until, reason) };
            }
            else if (rule.QuietHours == QuietHoursMode.Silent)
            {
                silent = true;
                Trace(TraceKind.QuietHours, null, null, $"{quiet.Reason}: delivering silently (rule quietHours: silent)");
            }
            else Trace(TraceKind.QuietHours, null, null, $"{quiet.Reason}: ignored (rule quietHours: ignore)");
        }

        // The chosen step's wait, resolved for this user when it is learned (and said so in the trace).
        Decision WithWait(Decision d)
        {
            var step = rule.Steps[d.Step!.Value];
            if (step.Learned is not { } learned) return d with { Wait = step.Wait };
            Trace(TraceKind.Wait, d.Step, null, $"step {d.Step + 1}: {learned.Explain(input.TypicalResponse)}");
            return d with { Wait = learned.Resolve(input.TypicalResponse) };
        }

        var vars = ConditionContext.For(n, user, now, devices, rule.Regions);
        Decision? skipped = null;
        for (var i = input.FromStep; i < rule.Steps.Length; i++)
        {
            var step = rule.Steps[i];
            var alt = Choose(step, vars, i, Trace);
            if (alt is null) continue;
            var label = $"step {i + 1} (to {Names.Of(alt.To)} via {Names.Of(alt.Via)})";
            if (!user.Preferences.Allows(n.Category, alt.Via))
            {
                Trace(TraceKind.PassedOver, i, null, $"{label}: passed over, the user switched {Names.Of(alt.Via)} off for '{n.Category}'");
                continue;
            }
            if (!input.EnabledChannels.Contains(alt.Via))
            {
                Trace(TraceKind.PassedOver, i, null, $"{label}: passed over, channel {Names.Of(alt.Via)} is not configured");
                continue;
            }
            if (alt.Defer is { Kind: DeferKind.For } forDefer && input.DeferralOver != i)
            {
                var until = now + forDefer.For!.Value;
                var reason = $"{label}: deferred {forDefer.Text}";
                Trace(TraceKind.Held, i, null, until >= n.ExpiresAt ? $"{reason}; it expires before then" : reason);
                return new Decision(i, alt.Via, [], false, reason, trace) { Hold = new DecisionHold(HoldKind.Timer, i, until, reason) };
            }
            if (alt.Defer is { Kind: DeferKind.QuietHoursEnd } && quiet.IsQuiet)
            {
                var reason = $"{label}: deferred until quiet hours end ({quiet.Reason})";
                Trace(TraceKind.Held, i, null, quiet.Until >= n.ExpiresAt ? $"{reason}; it expires before then" : reason);
                return new Decision(i, alt.Via, [], false, reason, trace) { Hold = new DecisionHold(HoldKind.QuietHours, i, quiet.Until, reason) };
            }
            if (alt.To == StepTarget.User)
            {
                if (string.IsNullOrEmpty(user.Email)) { Trace(TraceKind.PassedOver, i, null, $"{label}: passed over, the user has no email address"); continue; }
                var reason = $"{label}: the user by email";
                Trace(TraceKind.Chosen, i, null, reason);
                return WithWait(new Decision(i, alt.Via, [], true, reason, trace) { Silent = silent });
            }

            // A step deferred until a device is ready holds while its devices could still become ready: its 'where'
            // (at the office, say) is part of what "ready" means, so a device outside it now is waited for, not passed over.
            var deviceDefer = alt.Defer is { Kind: DeferKind.Device } dd ? dd : null;
            var eligible = Eligible(input, devices, alt, i, label, vars, Trace, checkWhere: deviceDefer is null);
            if (eligible.Count == 0)
            {
                Trace(TraceKind.PassedOver, i, null, $"{label}: passed over, no eligible device");
                continue;
            }
            if (deviceDefer is not null)
            {
                var ready = eligible.Where(d =>
                {
                    var dv = ConditionContext.WithDevice(vars, d, now, rule.Regions);
                    return (alt.Where is null || alt.Where.Evaluate(dv, out _)) && deviceDefer.Until!.Evaluate(dv, out _);
                }).ToList();
                if (ready.Count == 0)
                {
                    var waitOver = step.Wait is { } w ? now + w : (DateTimeOffset?)null;
                    var reason = $"{label}: deferred {deviceDefer.Text}{(alt.Where is null ? "" : $" where {alt.Where}")}: none of {eligible.Count} eligible device(s) is ready yet"
                        + (waitOver is { } over && over < n.ExpiresAt && i + 1 < rule.Steps.Length ? $"; step {i + 2} at {over:O} if none is by then" : "");
                    Trace(TraceKind.Held, i, null, reason);
                    return new Decision(i, alt.Via, [], false, reason, trace) { Hold = new DecisionHold(HoldKind.Device, i, null, reason) { GiveUpAt = waitOver } };
                }
                Trace(TraceKind.Ready, i, null, $"{label}: {ready.Count} device(s) ready ({deviceDefer.Text})");
                eligible = ready;
            }

            var score = input.ResponseScoreFor?.Invoke(i, alt.Via) ?? input.ResponseScore;
            var (targets, why) = Pick(alt, eligible, label, i, Trace, score);
            var skipBelow = step.SkipBelow ?? rule.SkipBelow;
            if (skipBelow is { } floor && score is not null && alt.To != StepTarget.All && !input.IsRepeat && i + 1 < rule.Steps.Length
                && score(targets[0]) is { } chance && chance < floor)
            {
                Trace(TraceKind.PassedOver, i, targets[0].Device.Id,
                    $"{label}: passed over, the best candidate {Label(targets[0])} has a learned response of {chance:P0}, below the rule's skipBelow {floor:P0}: trying the next step now");
                skipped ??= new Decision(i, alt.Via, targets, false, why, trace) { Silent = silent };
                continue;
            }
            Trace(TraceKind.Chosen, i, targets.Count == 1 ? targets[0].Device.Id : null, silent ? why + " (silently)" : why);
            return WithWait(new Decision(i, alt.Via, targets, false, why, trace) { Silent = silent });
        }

        if (skipped is not null)
        {
            var back = $"no later step could reach the user: back to step {skipped.Step + 1}; {skipped.Reason}";
            Trace(TraceKind.Chosen, skipped.Step, skipped.Targets.Count == 1 ? skipped.Targets[0].Device.Id : null, back);
            return WithWait(skipped with { Reason = back });
        }

        var none = input.FromStep >= rule.Steps.Length ? "no further step" : $"no step from {input.FromStep + 1} on could reach the user";
        Trace(TraceKind.NoStep, null, null, none);
        return new Decision(null, null, [], false, none, trace);
    }

    private static StepAlternative? Choose(RuleStep step, IDictionary<string, object?> vars, int i, Action<TraceKind, int?, string?, string> trace)
    {
        for (var a = 0; a < step.Alternatives.Length; a++)
        {
            var alt = step.Alternatives[a];
            if (alt.When is not { } when) return alt;
            if (when.Evaluate(vars, out var error)) return alt;
            var which = step.Alternatives.Length > 1 ? $"step {i + 1}, alternative {a + 1}" : $"step {i + 1} (to {Names.Of(alt.To)} via {Names.Of(alt.Via)})";
            trace(TraceKind.Skipped, i, null, error is null ? $"{which}: skipped, 'when' {when} is false" : $"{which}: skipped, 'when' failed: {error}");
        }
        return null;
    }

    private static List<DeviceSnapshot> Eligible(DecisionInput input, IReadOnlyList<DeviceSnapshot> devices, StepAlternative alt, int i, string label,
        IDictionary<string, object?> vars, Action<TraceKind, int?, string?, string> trace, bool checkWhere)
    {
        var eligible = new List<DeviceSnapshot>();
        foreach (var device in devices)
        {
            var id = device.Device.Id;
            void PassOver(string why) => trace(TraceKind.PassedOver, i, id, $"{label}: passed over {Label(device)}, {why}");
            if (!input.IsRepeat && input.AlreadyReached.Contains((id, alt.Via))) { PassOver("it already has it"); continue; }
            if (alt.Via == Channel.Push && device.Device.Push is null) { PassOver("no push token"); continue; }
            if (alt.Via == Channel.Push && input.PushProviders is { } providers && !providers.Contains(device.Device.Push!.Provider))
            {
                PassOver($"push provider {device.Device.Push.Provider} is not configured");
                continue;
            }
            if (checkWhere && alt.Where is { } where && !where.Evaluate(ConditionContext.WithDevice(vars, device, input.Now, input.Rule.Regions), out var whereError))
            {
                PassOver(whereError is null ? $"'where' {where} is false" : $"'where' failed: {whereError}");
                continue;
            }
            if (alt.To == StepTarget.Attention && !DeviceRanking.HasAttention(device, alt.Via))
            {
                PassOver(alt.Via == Channel.InApp
                    ? $"not online and active ({DeviceRanking.Describe(device.State)})"
                    : $"not in use ({DeviceRanking.Describe(device.State)})");
                continue;
            }
            eligible.Add(device);
        }
        return eligible;
    }

    private static (IReadOnlyList<DeviceSnapshot> Targets, string Why) Pick(StepAlternative alt, List<DeviceSnapshot> eligible, string label, int i,
        Action<TraceKind, int?, string?, string> trace, Func<DeviceSnapshot, double?>? score)
    {
        switch (alt.To)
        {
            case StepTarget.All:
                return (eligible, $"{label}: all {eligible.Count} eligible device(s)");
            case StepTarget.Attention:
                var attention = DeviceRanking.RankAttention(eligible, score).First();
                var learned = score?.Invoke(attention) is { } chance ? $", learned response {chance:P0}" : "";
                return ([attention], $"{label}: {Label(attention)} has the user's attention (active, last active {attention.State.LastActiveAt:O}{learned})");
            default:
                var ranked = DeviceRanking.Rank(eligible, alt.Via, score).ToList();
                string Why(DeviceSnapshot d) => DeviceRanking.Describe(d.State) + (score?.Invoke(d) is { } p ? $", learned response {p:P0}" : "");
                for (var r = 1; r < ranked.Count; r++)
                    trace(TraceKind.Ranked, i, ranked[r].Device.Id, $"{label}: ranked {r + 1} of {ranked.Count}: {Label(ranked[r])} ({Why(ranked[r])})");
                return ([ranked[0]], $"{label}: {Label(ranked[0])} ranks best ({Why(ranked[0])})");
        }
    }

    internal static string Label(DeviceSnapshot d) =>
        d.Device.Name is { Length: > 0 } name ? $"{name} ({Names.Of(d.Device.Platform)} {d.Device.Id})" : $"{Names.Of(d.Device.Platform)} {d.Device.Id}";
}
