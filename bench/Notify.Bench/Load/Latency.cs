using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Notify.Bench.Load;

/// <summary>
/// Matches each accepted notification with its arrival on the device. The 202 usually comes after the
/// WebSocket message (the server sends in-app before it answers), so either side may come first: whichever
/// arrives second completes the pair. One lock; a few thousand pairs a second do not contend on it.
/// </summary>
public sealed class LatencyTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long Due, long Sent)> _sent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _received = new(StringComparer.Ordinal);
    private readonly List<long> _fromDue = [];
    private readonly List<long> _fromSend = [];

    /// <summary>A 202 for <paramref name="id"/>, whose request was due at <paramref name="due"/> and went out at <paramref name="sent"/>.</summary>
    public void Accepted(string id, long due, long sent)
    {
        lock (_lock)
        {
            if (_received.Remove(id, out var at)) Add(at, due, sent);
            else _sent[id] = (due, sent);
        }
    }

    /// <summary>A device received <paramref name="id"/> at <paramref name="at"/>.</summary>
    public void Received(string id, long at)
    {
        lock (_lock)
        {
            if (_sent.Remove(id, out var s)) Add(at, s.Due, s.Sent);
            else _received[id] = at;
        }
    }

    private void Add(long at, long due, long sent)
    {
        _fromDue.Add(at - due);
        _fromSend.Add(at - sent);
    }

    public int Pending { get { lock (_lock) return _sent.Count; } }

    /// <summary>Notifications received that no 202 of this phase claimed (stragglers of an earlier phase).</summary>
    public int Unclaimed { get { lock (_lock) return _received.Count; } }

    /// <summary>From the due time: what an arrival schedule sees, the driver's own lateness included.</summary>
    public List<long> FromDue { get { lock (_lock) return [.. _fromDue]; } }

    /// <summary>From the moment the request was handed to the HTTP client.</summary>
    public List<long> FromSend { get { lock (_lock) return [.. _fromSend]; } }
}

/// <summary>The outcome of the paced phase.</summary>
public sealed class LatencyResult
{
    public double Rate { get; init; }
    public long Sent { get; set; }
    public PhaseResult Http { get; } = new();
    public List<long> DeliveryTicks { get; set; } = [];
    public List<long> DeliveryFromSendTicks { get; set; } = [];
    public int Lost { get; set; }
    public int Unclaimed { get; set; }
    public List<long> SenderLagTicks { get; } = [];
    public TimeSpan Elapsed { get; set; }
}

/// <summary>
/// Open-loop, paced notifies: request i is due at start + i/rate whether or not earlier ones answered (a slow
/// server does not slow the arrivals down). Each latency is measured from the request's due time, so time
/// the driver itself fell behind counts against the result rather than hiding it.
/// </summary>
public static class PacedLatency
{
    public static async Task<LatencyResult> RunAsync(HttpClient client, DeviceFleet fleet, Func<long, byte[]> body, double rate,
        TimeSpan duration, TimeSpan timeout, int maxInFlight, IReadOnlyDictionary<string, Process> processes, CancellationToken ct)
    {
        var tracker = new LatencyTracker();
        var result = new LatencyResult { Rate = rate };
        fleet.OnNotification = tracker.Received;
        var total = (long)(rate * duration.TotalSeconds);
        var interval = Stopwatch.Frequency / rate;
        var inFlight = 0;
        var requests = new List<Task>((int)Math.Min(total, 10_000_000));
        var start = Stopwatch.GetTimestamp();
        var hardStop = start + (long)((duration + timeout).TotalSeconds * Stopwatch.Frequency);
        var cpu = CpuWindow.MeasureAsync(processes, start, start + (long)(duration.TotalSeconds * Stopwatch.Frequency), result.Http, ct);

        async Task SendOne(long i, long due)
        {
            Interlocked.Increment(ref inFlight);
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var message = Http.Post("/v1/notify", body(i));
                using var response = await client.SendAsync(message, ct);
                var bytes = await response.Content.ReadAsByteArrayAsync(ct);
                if (response.StatusCode == HttpStatusCode.Accepted && NotificationId(bytes) is { } id)
                {
                    tracker.Accepted(id, due, sent);
                    lock (result.Http) { result.Http.Ok++; result.Http.ResponseTicks.Add(Stopwatch.GetTimestamp() - due); }
                }
                else
                    result.Http.Error(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), System.Text.Encoding.UTF8.GetString(bytes));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                result.Http.Error(e.GetType().Name, e.Message);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }

        long next = 0;
        while (next < total && !ct.IsCancellationRequested && Stopwatch.GetTimestamp() < hardStop)
        {
            var now = Stopwatch.GetTimestamp();
            var due = Math.Min(total, (long)((now - start) / interval) + 1);
            for (; next < due && Volatile.Read(ref inFlight) < maxInFlight; next++)
            {
                var dueAt = start + (long)(next * interval);
                result.SenderLagTicks.Add(Stopwatch.GetTimestamp() - dueAt);
                requests.Add(SendOne(next, dueAt));
            }
            await Task.Delay(1, ct);
        }
        result.Sent = next;
        result.Elapsed = Stopwatch.GetElapsedTime(start);
        await cpu;

        // Every request answers (or times out, bounded by HttpClient.Timeout); then give the devices the timeout.
        await Task.WhenAll(requests).WaitAsync(timeout + TimeSpan.FromSeconds(30), ct);
        var waitUntil = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (tracker.Pending > 0 && Stopwatch.GetTimestamp() < waitUntil) await Task.Delay(20, ct);
        fleet.OnNotification = null;
        result.DeliveryTicks = tracker.FromDue;
        result.DeliveryFromSendTicks = tracker.FromSend;
        result.Lost = tracker.Pending;
        result.Unclaimed = tracker.Unclaimed;
        return result;
    }

    /// <summary>The notificationId of a 202 body.</summary>
    public static string? NotificationId(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("notificationId"u8))
                return reader.Read() ? reader.GetString() : null;
        return null;
    }
}

/// <summary>Nearest-rank percentiles of Stopwatch tick samples, in milliseconds.</summary>
public static class Percentiles
{
    public static double[] Of(List<long> ticks, params double[] ps)
    {
        if (ticks.Count == 0) return [.. ps.Select(_ => double.NaN)];
        var sorted = ticks.ToArray();
        Array.Sort(sorted);
        return [.. ps.Select(p => Ms(sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)]))];
    }

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
