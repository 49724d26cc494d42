using Microsoft.Extensions.Logging;
using Notify.Engine.Storage;

namespace Notify.Engine.Timers;

/// <summary>
/// Fires durable timers, shared with the other nodes on the same store through leases: every
/// <see cref="TimerOptions.PollInterval"/> it claims the timers due within <see cref="TimerOptions.ClaimAhead"/> that no node
/// holds, keeps them in <see cref="TimerSchedule"/>, renews its leases at a third of <see cref="TimerOptions.LeaseDuration"/>,
/// and sleeps until the next is due (or an earlier one is added). On start it claims what became due while no node held it,
/// so nothing is lost across a restart; on a graceful stop it releases its leases, so another node takes them at once.
/// A firing takes effect once whatever happens to leases: its commit applies only if it deletes the timer.
/// </summary>
public sealed partial class TimerLoop(INotifyStore store, TimerSchedule schedule, Func<TimerRecord, CancellationToken, Task> fire,
    TimeProvider time, TimerOptions options, ILogger<TimerLoop> logger)
{
    /// <summary>Raised each time a round of due timers has been fired; tests await it instead of sleeping.</summary>
    public event Action<int>? Fired;

    /// <summary>Raised after each poll with the number of timers claimed; tests await it instead of sleeping.</summary>
    public event Action<int>? Claimed;

    /// <summary>The name this node's leases carry.</summary>
    public string NodeId { get; } = options.ResolveNodeId();

    private TimeSpan RenewEvery => options.LeaseDuration / 3;

    public async Task RunAsync(CancellationToken ct)
    {
        var started = false;
        var nextPoll = DateTimeOffset.MinValue;
        var nextRenew = DateTimeOffset.MaxValue;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                try
                {
                    if (!started)
                    {
                        // Leases in this name are from an earlier run of this node (a stable NodeId): nothing holds them now.
                        var freed = await store.ReleaseTimerLeasesAsync(NodeId, null, ct);
                        if (freed > 0) LogTookBack(freed, NodeId);
                        started = true;
                        nextRenew = now + RenewEvery;
                    }
                    if (now >= nextRenew)
                    {
                        // Only leases that would run out before the renewal after next: a timer is claimed at most ClaimAhead
                        // (shorter than LeaseDuration) before it is due, so one fired on time never needs its lease renewed.
                        var until = now + options.LeaseDuration;
                        await store.RenewTimerLeasesAsync(NodeId, now + 2 * RenewEvery, until, ct);
                        schedule.Leased(NodeId, until);
                        nextRenew = now + RenewEvery;
                    }
                    if (now >= nextPoll)
                    {
                        await ClaimAsync(now, ct);
                        nextPoll = now + options.PollInterval;
                    }
                    var due = schedule.TakeDue(now);
                    if (due.Count > 0)
                    {
                        await FireAsync(due, ct);
                        continue;
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                catch (Exception e)
                {
                    LogLoopFailed(e);
                    // Not in a tight loop while the store is down: try again at the next poll.
                    if (nextPoll <= now) nextPoll = now + options.PollInterval;
                    if (nextRenew <= now) nextRenew = now + options.PollInterval;
                }

                var wakeAt = nextPoll < nextRenew ? nextPoll : nextRenew;
                if (schedule.NextDue is { } next && next < wakeAt) wakeAt = next;
                var delay = wakeAt - time.GetUtcNow();
                // Already due (the clock moved while we claimed): look again now rather than sleep a token while.
                if (delay <= TimeSpan.Zero) continue;
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var sleeping = Task.Delay(delay, time, wait.Token);
                // The clock may have moved past wakeAt between reading it and starting the delay (which then counts from the new time).
                if (time.GetUtcNow() < wakeAt) await Task.WhenAny(sleeping, schedule.Changed).ConfigureAwait(false);
                await wait.CancelAsync();
            }
        }
        finally
        {
            schedule.StopLeasing();
            if (started) await ReleaseAllAsync();
        }
    }

    private async Task ClaimAsync(DateTimeOffset now, CancellationToken ct)
    {
        var dueBefore = now + options.ClaimAhead;
        var leaseUntil = now + options.LeaseDuration;
        // New timers of this node due within the window are stored leased to it from now on (the schedule's lease).
        schedule.Leased(NodeId, leaseUntil);
        var total = 0;
        while (true)
        {
            var claimed = await store.ClaimTimersAsync(NodeId, dueBefore, now, leaseUntil, options.ClaimBatch, ct);
            schedule.Load(claimed, dueBefore);
            total += claimed.Count;
            // Claims return only free timers, so a full batch means more are free, not the same ones again.
            if (claimed.Count < options.ClaimBatch) break;
        }
        if (total > 0) LogClaimed(total, dueBefore);
        Claimed?.Invoke(total);
    }

    private async Task FireAsync(List<TimerRecord> due, CancellationToken ct)
    {
        List<string>? failed = null;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = ct },
            async (timer, token) =>
            {
                try { await fire(timer, token); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFireFailed(e, timer.Id, timer.NotificationId);
                    lock (due) (failed ??= []).Add(timer.Id);
                }
            });
        // A timer that failed stays stored; freed, it is claimed again (here or by another node) at the next poll.
        if (failed is not null) await store.ReleaseTimerLeasesAsync(NodeId, failed, ct);
        Fired?.Invoke(due.Count);
    }

    private async Task ReleaseAllAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
            var released = await store.ReleaseTimerLeasesAsync(NodeId, null, timeout.Token);
            LogReleased(released, NodeId);
        }
        catch (Exception e)
        {
            // Stopping anyway: the leases run out after LeaseDuration and another node takes the timers then.
            LogReleaseFailed(e, NodeId);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Claimed {Count} timers due before {Until:O}")]
    private partial void LogClaimed(int count, DateTimeOffset until);

    [LoggerMessage(Level = LogLevel.Information, Message = "Took back {Count} timer leases of an earlier run of node {NodeId}")]
    private partial void LogTookBack(int count, string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Count} timer leases of node {NodeId}: other nodes take those timers over")]
    private partial void LogReleased(int count, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the timer leases of node {NodeId}; other nodes take those timers when the leases run out")]
    private partial void LogReleaseFailed(Exception e, string nodeId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {TimerId} of notification {NotificationId} failed; it stays stored and is claimed again at the next poll")]
    private partial void LogFireFailed(Exception e, string timerId, string notificationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The timer loop failed; retrying")]
    private partial void LogLoopFailed(Exception e);
}
