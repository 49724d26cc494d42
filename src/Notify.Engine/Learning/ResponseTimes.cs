using System.Collections.Concurrent;

namespace Notify.Engine.Learning;

/// <summary>
/// Each user's typical response time, learned from outcomes: how long after a delivery reached a device the user
/// responded there (seen, opened or dismissed). A step with <c>wait: { learned: true, … }</c> waits this long (bounded)
/// before following up, so people who answer fast are followed up sooner. Thread-safe; one instance per process.
/// </summary>
/// <remarks>The typical time is the <see cref="Quantile"/> of the user's last <see cref="Window"/> response delays; with fewer
/// than <see cref="MinSamples"/> the user has no typical time yet and the step's default applies.</remarks>
public sealed class ResponseTimes
{
    private readonly ConcurrentDictionary<(string AppId, string UserId), History> _users = new();

    /// <param name="quantile">Which quantile of the delays is "typical": 0.8 by default, so that a follow-up comes after
    /// most of the responses the first delivery would still have had (waiting for the slowest few is what costs time).</param>
    /// <param name="minSamples">Responses needed before the user has a typical time: 5 by default (fewer is noise).</param>
    /// <param name="window">Recent responses kept per user: 50 by default (habits change; memory stays bounded).</param>
    public ResponseTimes(double quantile = 0.8, int minSamples = 5, int window = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantile, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThan(minSamples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, minSamples);
        Quantile = quantile;
        MinSamples = minSamples;
        Window = window;
    }

    public double Quantile { get; }
    public int MinSamples { get; }
    public int Window { get; }

    /// <summary>The user responded <paramref name="delay"/> after a delivery reached their device.</summary>
    public void Observe(string appId, string userId, TimeSpan delay)
    {
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        var history = _users.GetOrAdd((appId, userId), _ => new History(Window));
        lock (history) history.Add(delay);
    }

    /// <summary>The user's typical response time, or null while they have fewer than <see cref="MinSamples"/> responses.</summary>
    public TimeSpan? Typical(string appId, string userId)
    {
        if (!_users.TryGetValue((appId, userId), out var history)) return null;
        TimeSpan[] delays;
        lock (history)
        {
            if (history.Count < MinSamples) return null;
            delays = history.ToArray();
        }
        Array.Sort(delays);
        return delays[Math.Clamp((int)Math.Ceiling(Quantile * delays.Length) - 1, 0, delays.Length - 1)];
    }

    /// <summary>Learns from recorded outcomes (at start, from the store): every response on the delivered device, in the
    /// order decided.</summary>
    public void Learn(IEnumerable<OutcomeRecord> outcomes) =>
        Learn(outcomes.Where(o => o.Outcome is OutcomeKind.Seen or OutcomeKind.Opened or OutcomeKind.Dismissed && o.ResolvedAt is not null)
            .Select(o => new ResponseRecord(o.Start.AppId, o.Start.UserId, o.Start.DecidedAt, o.ResolvedAt!.Value)));

    /// <summary>Learns from responses read from the store, in the order decided.</summary>
    public void Learn(IEnumerable<ResponseRecord> responses)
    {
        foreach (var r in responses.OrderBy(r => r.DecidedAt)) Observe(r.AppId, r.UserId, r.RespondedAt - r.DecidedAt);
    }

    private sealed class History(int capacity)
    {
        private readonly TimeSpan[] _ring = new TimeSpan[capacity];
        private int _next;

        public int Count { get; private set; }

        public void Add(TimeSpan delay)
        {
            _ring[_next] = delay;
            _next = (_next + 1) % _ring.Length;
            if (Count < _ring.Length) Count++;
        }

        public TimeSpan[] ToArray() => _ring[..Count];
    }
}
