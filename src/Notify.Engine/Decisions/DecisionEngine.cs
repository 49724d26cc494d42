using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Engine.Decisions;

/// <summary>
/// Picks who gets a notification now. A pure function of its input: it walks the rule's steps from
/// <see cref="DecisionInput.FromStep"/>, skips the ones that cannot apply (condition false, channel off,
/// nobody eligible) and stops at the first that has a target, explaining every choice in the trace.
/// </summary>
public static class DecisionEngine
{
    public static Decision Decide(DecisionInput input)
    {
        var trace = new List<TraceEntry>();
        var now = input.Now;
        void Trace(int? step, string? device, string message) => trace.Add(new TraceEntry(now, step, device, message));

        var rule = input.Rule;
        if (input.FromStep == 0)
            Trace(null, null, $"rule '{rule.Name}' (version {rule.Version}) for category '{input.Notification.Category}', priority {Names.Of(input.Notification.Priority)}");

        var vars = ConditionContext.For(input.Notification, input.User, now);
        for (var i = input.FromStep; i < rule.Steps.Length; i++)
        {
            var step = rule.Steps[i];
            var label = $"step {i + 1} (to {Names.Of(step.To)} via {Names.Of(step.Via)})";
            if (step.When is { } when && !when.Evaluate(vars, out var whenError))
            {
                Trace(i, null, whenError is null ? $"{label}: skipped, 'when' {when} is false" : $"{label}: skipped, 'when' failed: {whenError}");
                continue;
            }
            if (!input.EnabledChannels.Contains(step.Via))
            {
                Trace(i, null, $"{label}: passed over, channel {Names.Of(step.Via)} is not configured");
                continue;
            }
            if (step.To == StepTarget.User)
            {
                if (string.IsNullOrEmpty(input.User.Email)) { Trace(i, null, $"{label}: passed over, the user has no email address"); continue; }
                var reason = $"{label}: the user by email";
                Trace(i, null, reason);
                return new Decision(i, step.Via, [], true, reason, trace);
            }

            var eligible = new List<DeviceSnapshot>();
            foreach (var device in input.Devices)
            {
                var id = device.Device.Id;
                if (input.AlreadyReached.Contains((id, step.Via))) { Trace(i, id, $"{label}: passed over {Label(device)}, it already has it"); continue; }
                if (step.Via == Channel.Push && device.Device.Push is null) { Trace(i, id, $"{label}: passed over {Label(device)}, no push token"); continue; }
                if (step.Where is { } where && !where.Evaluate(ConditionContext.WithDevice(vars, device, now), out var whereError))
                {
                    Trace(i, id, whereError is null ? $"{label}: passed over {Label(device)}, 'where' {where} is false" : $"{label}: passed over {Label(device)}, 'where' failed: {whereError}");
                    continue;
                }
                if (step.To == StepTarget.Attention && !(device.State.Online && device.State.Presence == Presence.Active))
                {
                    Trace(i, id, $"{label}: passed over {Label(device)}, not online and active ({DeviceRanking.Describe(device.State)})");
                    continue;
                }
                eligible.Add(device);
            }

            if (eligible.Count == 0)
            {
                Trace(i, null, $"{label}: passed over, no eligible device");
                continue;
            }

            IReadOnlyList<DeviceSnapshot> targets;
            string why;
            switch (step.To)
            {
                case StepTarget.All:
                    targets = eligible;
                    why = $"{label}: all {eligible.Count} eligible device(s)";
                    break;
                case StepTarget.Attention:
                    var attention = eligible.OrderByDescending(d => d.State.LastActiveAt ?? DateTimeOffset.MinValue)
                        .ThenBy(d => d.Device.Id, StringComparer.Ordinal).First();
                    targets = [attention];
                    why = $"{label}: {Label(attention)} has the user's attention (active, last active {attention.State.LastActiveAt:O})";
                    break;
                default:
                    var ranked = DeviceRanking.Rank(eligible).ToList();
                    for (var r = 1; r < ranked.Count; r++)
                        Trace(i, ranked[r].Device.Id, $"{label}: ranked {r + 1} of {ranked.Count}: {Label(ranked[r])} ({DeviceRanking.Describe(ranked[r].State)})");
                    targets = [ranked[0]];
                    why = $"{label}: {Label(ranked[0])} ranks best ({DeviceRanking.Describe(ranked[0].State)})";
                    break;
            }
            Trace(i, targets.Count == 1 ? targets[0].Device.Id : null, why);
            return new Decision(i, step.Via, targets, false, why, trace);
        }

        var none = input.FromStep >= rule.Steps.Length
            ? "no further step"
            : $"no step from {input.FromStep + 1} on could reach the user";
        Trace(null, null, none);
        return new Decision(null, null, [], false, none, trace);
    }

    private static string Label(DeviceSnapshot d) =>
        d.Device.Name is { Length: > 0 } name ? $"{name} ({Names.Of(d.Device.Platform)} {d.Device.Id})" : $"{Names.Of(d.Device.Platform)} {d.Device.Id}";
}
