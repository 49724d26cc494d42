using Microsoft.Extensions.Options;
using Notify.Engine.Devices;
using Notify.Engine.Notifications;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Server.Realtime;

namespace Notify.Server.Hosting;

/// <summary>Runs the durable timers (follow-ups, expiries) for the life of the process.</summary>
public sealed class TimerService(TimerLoop loop, HoldHandler holds, TimeProvider time, ILogger<TimerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await StoreRetry.UntilAvailableAsync(holds.LoadDeviceHoldsAsync, "loading device holds", time, logger, stoppingToken)) return;
        await loop.RunAsync(stoppingToken);
    }
}

/// <summary>
/// Start-up work that reads the store, run again while the store is unavailable (a MongoDB server down or without a primary)
/// instead of failing the background service, which would stop the host: the process waits for the store and recovers.
/// </summary>
internal static partial class StoreRetry
{
    /// <summary>Between attempts (default 5 seconds): each attempt already waits up to the store's own timeout.</summary>
    public static readonly TimeSpan Pause = TimeSpan.FromSeconds(5);

    /// <returns>False when stopped before the work succeeded.</returns>
    /// <param name="pauseFirst">The caller's own attempt just failed: pause before the first one.</param>
    public static async Task<bool> UntilAvailableAsync(Func<CancellationToken, Task> work, string what, TimeProvider time, ILogger logger, CancellationToken ct,
        bool pauseFirst = false)
    {
        if (pauseFirst)
        {
            try { await Task.Delay(Pause, time, ct); }
            catch (OperationCanceledException) { return false; }
        }
        while (true)
        {
            try
            {
                await work(ct);
                return true;
            }
            catch (StoreUnavailableException e)
            {
                LogWaiting(logger, what, e.Message);
            }
            try { await Task.Delay(Pause, time, ct); }
            catch (OperationCanceledException) { return false; }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store is unavailable while {What}; trying again shortly: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string what, string reason);
}

/// <summary>Writes device state behind: every <see cref="RealtimeOptions.StateFlushInterval"/>, and once more at shutdown.</summary>
public sealed partial class StateFlushService(DeviceStateTracker tracker, INotifyStore store, IOptions<RealtimeOptions> options, TimeProvider time,
    ILogger<StateFlushService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.StateFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    /// <summary>Stores the latest state of every device that changed.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var dirty = tracker.DrainDirty();
        if (dirty.Count == 0) return;
        try { await store.SaveDeviceStatesAsync(dirty, ct); }
        catch (Exception e) when (e is not OperationCanceledException) { LogFlushFailed(e, dirty.Count); }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} device states behind failed; the next change writes them again")]
    private partial void LogFlushFailed(Exception e, int count);
}
