namespace Notify.Engine.Model;

/// <summary>
/// Ids with a readable prefix (<c>ntf_…</c>, <c>dlv_…</c>, <c>dev_…</c>) that sort in creation order within a
/// process, even for many ids in one millisecond: 12 hex digits of Unix milliseconds (never going back), a
/// 6-digit sequence within the millisecond, and 14 random hex digits. SSE resume (<c>Last-Event-ID</c>) relies on the order.
/// </summary>
public static class Ids
{
    private static readonly Lock Gate = new();
    private static long _lastMs;
    private static long _sequence;

    public static string New(string prefix, DateTimeOffset now)
    {
        long ms, seq;
        lock (Gate)
        {
            ms = Math.Max(now.ToUnixTimeMilliseconds(), _lastMs);
            _sequence = ms == _lastMs ? _sequence + 1 : 0;
            if (_sequence > 0xFFFFFF) { ms++; _sequence = 0; }
            _lastMs = ms;
            seq = _sequence;
        }
        // The random part only keeps ids of different processes apart (the sequence already orders this one's);
        // it need not be secret, so the fast shared generator will do. Device tokens use a cryptographic one.
        return $"{prefix}_{ms:x12}{seq:x6}{Random.Shared.NextInt64(1L << 56):x14}";
    }
}

/// <summary>Time as the store keeps it.</summary>
public static class Clock
{
    /// <summary>Now, truncated to whole milliseconds (the store's precision), so a 202 answer, a later read and a
    /// re-sent message show the same instants.</summary>
    public static DateTimeOffset UtcNow(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
    }
}
