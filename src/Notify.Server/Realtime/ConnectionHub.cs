using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Notify.Engine.Notifications;

namespace Notify.Server.Realtime;

/// <summary>A device's open connection, WebSocket or SSE.</summary>
public interface IDeviceConnection
{
    /// <summary>Writes one message; <paramref name="eventId"/> is the SSE id, ignored by WebSocket.</summary>
    Task SendAsync(ReadOnlyMemory<byte> json, string? eventId, CancellationToken ct);

    /// <summary>Closes the connection at once (the device was removed and its token revoked).</summary>
    void Abort();
}

/// <summary>
/// The realtime connections this process holds, by device. It is the in-app channel
/// (<see cref="IRealtimeSender"/>): a message to a device goes to each of its connections.
/// </summary>
/// <remarks>
/// Built to hold 100,000 idle devices per node (docs/benchmarks.md, "Connections"): per device one small entry
/// (its connections as an array), and one sweep a second over all of them for heartbeat
/// deadlines and SSE keep-alives instead of a timer per connection.
/// </remarks>
public sealed partial class ConnectionHub : IRealtimeSender, IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    /// <summary>WebSocket close code 1012, "service restart" (IANA registry; not named in <see cref="WebSocketCloseStatus"/>).</summary>
    public const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    private readonly ConcurrentDictionary<string, DeviceConnections> _byDevice = new(StringComparer.Ordinal);
    // Kept apart from the connections: reconnecting does not refill a device's budget, and devices behind Pushpin
    // (no connection held here) have one too. The sweep drops a budget once it would be full again.
    private readonly ConcurrentDictionary<string, StateBudget> _stateBudgets = new(StringComparer.Ordinal);
    private readonly ILogger<ConnectionHub> _logger;
    private readonly TimeProvider _time;
    private readonly RealtimeOptions _options;
    private readonly ITimer _sweep;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;
    private int _sweeping;
    private volatile bool _stopping;

    public ConnectionHub(ILogger<ConnectionHub> logger, TimeProvider time, IOptions<RealtimeOptions> options)
    {
        _logger = logger;
        _time = time;
        _options = options.Value;
        _sweep = time.CreateTimer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    /// <summary>Open connections on this node.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>True once the node is shutting down: new connections are closed as soon as they open.</summary>
    public bool Stopping => _stopping;

    /// <summary>
    /// Adds a connection. A held connection beyond <see cref="RealtimeOptions.MaxConnectionsPerDevice"/> closes the
    /// device's oldest held one; during shutdown the new one is closed at once (1012, service restart).
    /// </summary>
    public void Add(string deviceId, IDeviceConnection connection)
    {
        HeldConnection? evicted = null;
        while (true)
        {
            var entry = _byDevice.GetOrAdd(deviceId, static _ => new DeviceConnections());
            lock (entry)
            {
                if (entry.Removed) continue;
                entry.All = [.. entry.All, connection];
                if (connection is HeldConnection && entry.All.Count(c => c is HeldConnection) > _options.MaxConnectionsPerDevice)
                {
                    evicted = entry.All.OfType<HeldConnection>().First();
                    entry.All = [.. entry.All.Where(c => !ReferenceEquals(c, evicted))];
                    Interlocked.Decrement(ref _count);
                }
                Interlocked.Increment(ref _count);
            }
            break;
        }
        var now = _time.GetUtcNow();
        if (evicted is not null)
        {
            LogReplaced(_logger, deviceId, _options.MaxConnectionsPerDevice);
            evicted.Close(WebSocketCloseStatus.PolicyViolation,
                $"replaced by a newer connection of this device: at most {_options.MaxConnectionsPerDevice} per device, the oldest closes", now);
        }
        if (_stopping) Close(connection, now);
    }

    public void Remove(string deviceId, IDeviceConnection connection)
    {
        if (!_byDevice.TryGetValue(deviceId, out var entry)) return;
        lock (entry)
        {
            var index = Array.IndexOf(entry.All, connection);
            if (index < 0) return;
            entry.All = [.. entry.All[..index], .. entry.All[(index + 1)..]];
            if (entry.All.Length == 0)
            {
                entry.Removed = true;
                _byDevice.TryRemove(new KeyValuePair<string, DeviceConnections>(deviceId, entry));
            }
        }
        if (Interlocked.Decrement(ref _count) <= 0 && _stopping) _drained.TrySetResult();
    }

    /// <summary>Closes every connection of a removed device.</summary>
    public void Abort(string deviceId)
    {
        if (_byDevice.TryGetValue(deviceId, out var entry))
            foreach (var connection in entry.All) connection.Abort();
    }

    public bool IsConnected(string deviceId) => _byDevice.TryGetValue(deviceId, out var entry) && entry.All.Length > 0;

    /// <summary>
    /// Takes one <c>state</c> report from the device's budget: <see cref="RealtimeOptions.StateReportBurst"/> at once,
    /// then one per <see cref="RealtimeOptions.StateReportInterval"/> (a token bucket kept with its connections).
    /// </summary>
    /// <returns>False when the report is over the rate and must be dropped.</returns>
    public bool TryTakeStateReport(string deviceId)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var budget = _stateBudgets.GetOrAdd(deviceId, static (_, burst) => new StateBudget { Tokens = burst }, (double)_options.StateReportBurst);
        lock (budget)
        {
            budget.Tokens = budget.Stamp == 0
                ? budget.Tokens
                : Math.Min(_options.StateReportBurst, budget.Tokens + (now - budget.Stamp) / (double)_options.StateReportInterval.Ticks);
            budget.Stamp = now;
            if (budget.Tokens < 1) return false;
            budget.Tokens--;
            return true;
        }
    }

    public async ValueTask<bool> SendAsync(string deviceId, ServerMessage message, string? eventId = null, CancellationToken ct = default)
    {
        if (!_byDevice.TryGetValue(deviceId, out var entry) || entry.All.Length == 0) return false;
        var json = Serialize(message);
        var sent = false;
        foreach (var connection in entry.All)
        {
            try
            {
                await connection.SendAsync(json, eventId, ct);
                sent = true;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogSendFailed(_logger, e, deviceId);
            }
        }
        return sent;
    }

    /// <summary>
    /// Shutdown: closes every connection at once (WebSocket close 1012, service restart, so SDKs reconnect to another
    /// node; SSE streams end), waits up to <paramref name="grace"/> for them to be gone, then cuts off the rest.
    /// </summary>
    /// <returns>How many were open, and how many had to be cut off.</returns>
    public async Task<(int Open, int CutOff)> CloseAllAsync(TimeSpan grace, CancellationToken ct)
    {
        _stopping = true;
        var open = Count;
        var now = _time.GetUtcNow();
        foreach (var entry in _byDevice.Values)
            foreach (var connection in entry.All) Close(connection, now);
        if (Count <= 0) return (open, 0);
        try { await _drained.Task.WaitAsync(grace, _time, ct); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
        var cutOff = 0;
        foreach (var entry in _byDevice.Values)
            foreach (var connection in entry.All)
            {
                connection.Abort();
                cutOff++;
            }
        return (open, cutOff);
    }

    private static void Close(IDeviceConnection connection, DateTimeOffset now)
    {
        if (connection is HeldConnection held) held.Close(ServiceRestart, "service restart: the server is stopping; reconnect", now);
        else connection.Abort();
    }

    /// <summary>One pass over every held connection: heartbeat deadlines, SSE keep-alives, unanswered closes.</summary>
    private void Sweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1) return;
        try
        {
            var now = _time.GetUtcNow();
            foreach (var entry in _byDevice.Values)
                foreach (var connection in entry.All)
                    if (connection is HeldConnection held) held.Tick(now, _options);
            var refill = _options.StateReportInterval.Ticks * _options.StateReportBurst;
            foreach (var (deviceId, budget) in _stateBudgets)
                if (now.UtcTicks - Volatile.Read(ref budget.Stamp) >= refill) _stateBudgets.TryRemove(new KeyValuePair<string, StateBudget>(deviceId, budget));
        }
        catch (Exception e)
        {
            LogSweepFailed(_logger, e);
        }
        finally { Volatile.Write(ref _sweeping, 0); }
    }

    public void Dispose() => _sweep.Dispose();

    public static byte[] Serialize(ServerMessage message) => JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), EngineJson.Options);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A connection of device {DeviceId} failed to send; it closes")]
    private static partial void LogSendFailed(ILogger logger, Exception e, string deviceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} opened more than {Max} connections; its oldest was closed")]
    private static partial void LogReplaced(ILogger logger, string deviceId, int max);

    [LoggerMessage(Level = LogLevel.Error, Message = "The realtime sweep (heartbeats, keep-alives) failed; it runs again in a second")]
    private static partial void LogSweepFailed(ILogger logger, Exception e);

    /// <summary>One device's connections, oldest first (replaced under the lock, read without it), and its state-report budget.</summary>
    private sealed class DeviceConnections
    {
        public volatile IDeviceConnection[] All = [];
        public bool Removed;
    }

    /// <summary>A device's <c>state</c> reports left (a token bucket) and when it was last taken from.</summary>
    private sealed class StateBudget
    {
        public double Tokens;
        public long Stamp;
    }
}
