using System.Globalization;
using System.Text;

namespace Notify.Bench.Simulation;

/// <summary>
/// Where a policy's time until seen goes (<c>simulate --breakdown</c>): events grouped by their first delivery (rule,
/// step, channel, device kinds; or held first by quiet hours or a deferral), and for each group how many were seen in
/// the first minute, later on that first delivery, only after a follow-up, or never; and how many of them the policy
/// compared with (<see cref="Against"/>, fan-out by default: the same events, the same luck) had seen within the first
/// minute. Then the same by category, with the share not seen within 2 hours (what makes a p90).
/// </summary>
internal sealed class SimulationBreakdown(PolicyKind against = PolicyKind.FanOut)
{
    /// <summary>Minutes past which an event counts in the tail column of the category table.</summary>
    public const int TailMinutes = 120;

    private sealed class Row
    {
        public int Events, FirstMinute, LaterOnFirst, AfterFollowUp, Never, AgainstFirstMinute, Lost, Tail, AgainstTail;
        public long FollowUpMinutes;
    }

    private readonly Dictionary<(PolicyKind, string), Row> _rows = [];
    private readonly Dictionary<(PolicyKind, string), Row> _categories = [];
    private readonly Dictionary<PolicyKind, int> _events = [];

    /// <summary>The policy each group is compared with.</summary>
    public PolicyKind Against => against;

    /// <summary>Adds one user's notes; <paramref name="reference"/> is the same user's notes under <see cref="Against"/>
    /// (same event order).</summary>
    public void Add(PolicyKind policy, IReadOnlyList<EventNote> notes, IReadOnlyList<EventNote>? reference)
    {
        lock (_rows)
        {
            for (var i = 0; i < notes.Count; i++)
            {
                var n = notes[i];
                var key = n.Held > 0 ? $"held {Bucket(n.Held)} first, then {n.First}" : n.First;
                _events[policy] = _events.GetValueOrDefault(policy) + 1;
                foreach (var row in new[] { RowOf(_rows, policy, key), RowOf(_categories, policy, n.Category) })
                {
                    row.Events++;
                    if (n.SeenAfter < 0) row.Never++;
                    else if (n.SeenAfter == 0) row.FirstMinute++;
                    else if (n.SeenOnDecision <= 1) row.LaterOnFirst++;
                    else { row.AfterFollowUp++; row.FollowUpMinutes += n.SeenAfter; }
                    if (n.SeenAfter is < 0 or >= TailMinutes) row.Tail++;
                    if (reference is null) continue;
                    if (reference[i].SeenAfter is < 0 or >= TailMinutes) row.AgainstTail++;
                    if (reference[i].SeenAfter == 0)
                    {
                        row.AgainstFirstMinute++;
                        if (n.SeenAfter != 0) row.Lost++;
                    }
                }
            }
        }
    }

    private static Row RowOf(Dictionary<(PolicyKind, string), Row> rows, PolicyKind policy, string key)
    {
        if (!rows.TryGetValue((policy, key), out var row)) rows[(policy, key)] = row = new Row();
        return row;
    }

    private static string Bucket(int minutes) => minutes switch { < 60 => "< 1 h", < 360 => "1-6 h", _ => ">= 6 h" };

    /// <summary>One table per policy, the largest groups first; groups under 0.5% of events are summed into one line.</summary>
    public string Report(IEnumerable<PolicyKind> policies)
    {
        var s = new StringBuilder();
        var them = SimulateCommand.Name(against);
        foreach (var policy in policies)
        {
            if (!_events.TryGetValue(policy, out var total)) continue;
            s.Append(CultureInfo.InvariantCulture, $"\n{SimulateCommand.Name(policy)}: {total:N0} events by first delivery (compared with {them})\n");
            s.Append("| first delivery | events | seen in 1st min | later, on the 1st delivery | after a follow-up (mean min) | never | they saw in 1st min | of those, not here in 1st min |\n");
            s.Append("|---|---|---|---|---|---|---|---|\n");
            var rows = _rows.Where(r => r.Key.Item1 == policy).OrderByDescending(r => r.Value.Events).ThenBy(r => r.Key.Item2, StringComparer.Ordinal).ToList();
            var other = new Row();
            var sum = new Row();
            foreach (var (key, row) in rows)
            {
                Accumulate(sum, row);
                if (row.Events < total * 0.005) { Accumulate(other, row); continue; }
                Line(s, key.Item2, row, total);
            }
            if (other.Events > 0) Line(s, "(smaller groups)", other, total);
            Line(s, "**all**", sum, total);

            s.Append(CultureInfo.InvariantCulture, $"\n{SimulateCommand.Name(policy)} by category (compared with {them})\n");
            s.Append(CultureInfo.InvariantCulture, $"| category | events | seen in 1st min | they saw in 1st min | not seen within {TailMinutes / 60} h | they did not see within {TailMinutes / 60} h |\n");
            s.Append("|---|---|---|---|---|---|\n");
            foreach (var (key, row) in _categories.Where(r => r.Key.Item1 == policy).OrderByDescending(r => r.Value.Events).ThenBy(r => r.Key.Item2, StringComparer.Ordinal))
            {
                string Pct(int n) => (n / (double)row.Events).ToString("P1", CultureInfo.InvariantCulture);
                string OfAll(int n) => (n / (double)total).ToString("P1", CultureInfo.InvariantCulture);
                s.Append(CultureInfo.InvariantCulture,
                    $"| {key.Item2} | {row.Events:N0} ({row.Events / (double)total:P1}) | {Pct(row.FirstMinute)} | {Pct(row.AgainstFirstMinute)} | {Pct(row.Tail)} ({OfAll(row.Tail)} of all) | {Pct(row.AgainstTail)} ({OfAll(row.AgainstTail)} of all) |\n");
            }
        }
        return s.ToString();
    }

    private static void Accumulate(Row into, Row r)
    {
        into.Events += r.Events; into.FirstMinute += r.FirstMinute; into.LaterOnFirst += r.LaterOnFirst; into.AfterFollowUp += r.AfterFollowUp;
        into.Never += r.Never; into.AgainstFirstMinute += r.AgainstFirstMinute; into.Lost += r.Lost; into.FollowUpMinutes += r.FollowUpMinutes;
        into.Tail += r.Tail; into.AgainstTail += r.AgainstTail;
    }

    private static void Line(StringBuilder s, string what, Row r, int total)
    {
        string Pct(int n) => (n / (double)r.Events).ToString("P0", CultureInfo.InvariantCulture);
        var followUp = r.AfterFollowUp > 0 ? (r.FollowUpMinutes / (double)r.AfterFollowUp).ToString("F0", CultureInfo.InvariantCulture) : "-";
        s.Append(CultureInfo.InvariantCulture,
            $"| {what} | {r.Events:N0} ({r.Events / (double)total:P1}) | {Pct(r.FirstMinute)} | {Pct(r.LaterOnFirst)} | {Pct(r.AfterFollowUp)} ({followUp}) | {Pct(r.Never)} | {Pct(r.AgainstFirstMinute)} | {r.Lost:N0} |\n");
    }
}
