using Microsoft.Extensions.Options;
using Notify.Engine.Devices;
using Notify.Engine.Notifications;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Server.Realtime;

namespace Notify.Server.Hosting;

/// <summary>Runs the durable timers (follow-ups, expiries) for the life of the process.</summary>
public sealed class TimerService(TimerLoop loop, DeliveryWorkflow workflow) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await workflow.LoadDeviceHoldsAsync(stoppingToken);
        await loop.RunAsync(stoppingToken);
    }
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
