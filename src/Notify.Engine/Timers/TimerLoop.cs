using Microsoft.Extensions.Logging;
using Notify.Engine.Storage;

namespace Notify.Engine.Timers;

/// <summary>How timers are loaded and fired.</summary>
public sealed class TimerOptions
{
    /// <summary>Timers due within this window are held in memory (default 10 minutes); the store is read
    /// again when half of it has passed, so an idle server queries the store a few times an hour, not every few milliseconds.</summary>
    public TimeSpan Horizon { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many timers are read per load (default 50,000); a fuller window loads in parts.</summary>
    public int LoadBatch { get; set; } = 50_000;

    /// <summary>Timers fired at once (default 8); each notification is still handled by one at a time.</summary>
    public int Concurrency { get; set; } = 8;
}

/// <summary>
/// Fires durable timers: keeps <see cref="TimerSchedule"/> fed from the store and sleeps until the next
/// one is due (or an earlier one is added). On start it loads what became due while the process was down,
/// so nothing is lost across a restart.
/// </summary>
public sealed partial class TimerLoop(INotifyStore store, TimerSchedule schedule, Func<TimerRecord, CancellationToken, Task> fire,
    TimeProvider time, TimerOptions options, ILogger<TimerLoop> logger)
{
    /// <summary>Completes each time a round of due timers has been fired; tests await it instead of sleeping.</summary>
    public event Action<int>? Fired;

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            try
            {
                if (now + options.Horizon / 2 >= schedule.LoadedUntil) await LoadAsync(now, ct);
                var due = schedule.TakeDue(now);
                if (due.Count > 0)
                {
                    await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = ct },
                        async (timer, token) =>
                        {
                            try { await fire(timer, token); }
                            catch (Exception e) when (e is not OperationCanceledException) { LogFireFailed(e, timer.Id, timer.NotificationId); }
                        });
                    Fired?.Invoke(due.Count);
                    continue;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                LogLoopFailed(e);
            }

            var wakeAt = schedule.LoadedUntil - options.Horizon / 2;
            if (schedule.NextDue is { } next && next < wakeAt) wakeAt = next;
            var delay = wakeAt - time.GetUtcNow();
            // Already due (the clock moved while we loaded): look again now rather than sleep a token while.
            if (delay <= TimeSpan.Zero) continue;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var sleeping = Task.Delay(delay, time, wait.Token);
            await Task.WhenAny(sleeping, schedule.Changed).ConfigureAwait(false);
            await wait.CancelAsync();
        }
    }

    private async Task LoadAsync(DateTimeOffset now, CancellationToken ct)
    {
        var until = now + options.Horizon;
        var timers = await store.GetTimersDueBeforeAsync(until, options.LoadBatch, ct);
        if (timers.Count >= options.LoadBatch) until = timers[^1].DueAt;
        schedule.Load(timers, until);
        LogLoaded(timers.Count, until);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Loaded {Count} timers due before {Until:O}")]
    private partial void LogLoaded(int count, DateTimeOffset until);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {TimerId} of notification {NotificationId} failed; it stays stored and is retried on the next load")]
    private partial void LogFireFailed(Exception e, string timerId, string notificationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The timer loop failed; retrying")]
    private partial void LogLoopFailed(Exception e);
}
