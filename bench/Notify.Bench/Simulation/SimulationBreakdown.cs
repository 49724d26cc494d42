using System.Globalization;
using System.Text;

namespace Notify.Bench.Simulation;

/// <summary>
/// Where a policy's time until seen goes (<c>simulate --breakdown</c>): events grouped by their first delivery (rule,
/// step, channel, device kinds; or held first by quiet hours or a deferral), and for each group how many were seen in
/// the first minute, later on that first delivery, only after a follow-up, or never; and how many of them fan-out
/// (the same events, the same luck) had seen within the first minute.
/// </summary>
internal sealed class SimulationBreakdown
{
    private sealed class Row
    {
        public int Events, FirstMinute, LaterOnFirst, AfterFollowUp, Never, FanOutFirstMinute, Lost;
        public long FollowUpMinutes;
    }

    private readonly Dictionary<(PolicyKind, string), Row> _rows = [];
    private readonly Dictionary<PolicyKind, int> _events = [];

    /// <summary>Adds one user's notes; <paramref name="fanOut"/> is the same user's fan-out notes (same event order).</summary>
    public void Add(PolicyKind policy, IReadOnlyList<EventNote> notes, IReadOnlyList<EventNote>? fanOut)
    {
        lock (_rows)
        {
            for (var i = 0; i < notes.Count; i++)
            {
                var n = notes[i];
                var key = n.Held > 0 ? $"held {Bucket(n.Held)} first, then {n.First}" : n.First;
                if (!_rows.TryGetValue((policy, key), out var row)) _rows[(policy, key)] = row = new Row();
                _events[policy] = _events.GetValueOrDefault(policy) + 1;
                row.Events++;
                if (n.SeenAfter < 0) row.Never++;
                else if (n.SeenAfter == 0) row.FirstMinute++;
                else if (n.SeenOnDecision <= 1) row.LaterOnFirst++;
                else { row.AfterFollowUp++; row.FollowUpMinutes += n.SeenAfter; }
                if (fanOut is not null && fanOut[i].SeenAfter == 0)
                {
                    row.FanOutFirstMinute++;
                    if (n.SeenAfter != 0) row.Lost++;
                }
            }
        }
    }

    private static string Bucket(int minutes) => minutes switch { < 60 => "< 1 h", < 360 => "1-6 h", _ => ">= 6 h" };

    /// <summary>One table per policy, the largest groups first; groups under 0.5% of events are summed into one line.</summary>
    public string Report(IEnumerable<PolicyKind> policies)
    {
        var s = new StringBuilder();
        foreach (var policy in policies)
        {
            if (!_events.TryGetValue(policy, out var total)) continue;
            s.Append(CultureInfo.InvariantCulture, $"\n{SimulateCommand.Name(policy)}: {total:N0} events by first delivery\n");
            s.Append("| first delivery | events | seen in 1st min | later, on the 1st delivery | after a follow-up (mean min) | never | fan-out saw in 1st min | of those, not here in 1st min |\n");
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
        }
        return s.ToString();
    }

    private static void Accumulate(Row into, Row r)
    {
        into.Events += r.Events; into.FirstMinute += r.FirstMinute; into.LaterOnFirst += r.LaterOnFirst; into.AfterFollowUp += r.AfterFollowUp;
        into.Never += r.Never; into.FanOutFirstMinute += r.FanOutFirstMinute; into.Lost += r.Lost; into.FollowUpMinutes += r.FollowUpMinutes;
    }

    private static void Line(StringBuilder s, string what, Row r, int total)
    {
        string Pct(int n) => (n / (double)r.Events).ToString("P0", CultureInfo.InvariantCulture);
        var followUp = r.AfterFollowUp > 0 ? (r.FollowUpMinutes / (double)r.AfterFollowUp).ToString("F0", CultureInfo.InvariantCulture) : "-";
        s.Append(CultureInfo.InvariantCulture,
            $"| {what} | {r.Events:N0} ({r.Events / (double)total:P1}) | {Pct(r.FirstMinute)} | {Pct(r.LaterOnFirst)} | {Pct(r.AfterFollowUp)} ({followUp}) | {Pct(r.Never)} | {Pct(r.FanOutFirstMinute)} | {r.Lost:N0} |\n");
    }
}
