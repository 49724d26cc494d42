using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Storage;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Notify.Channels.Dispatch;

/// <summary>
/// Sends pending push and email deliveries through their provider adapters. Each delivery is retried on transient
/// failures with exponential backoff and jitter (a provider's <c>Retry-After</c> wins), behind one circuit breaker per
/// provider, and re-checked before every attempt so a retry stops once the notification was seen, expired, or the
/// chain moved on. Every call is recorded on the notification. Pending deliveries are the durable queue: the ones a
/// crash interrupted are sent again at start (so a push may, rarely, arrive twice; never zero times).
/// </summary>
public sealed partial class ChannelDispatcher
{
    private readonly SendHandler _sends;
    private readonly INotifyStore _store;
    private readonly DispatchQueue _queue;
    private readonly Dictionary<string, IPushProvider> _push;
    private readonly IEmailSender? _email;
    private readonly ChannelHealth _health;
    private readonly DispatchOptions _options;
    private readonly NotifyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<ChannelDispatcher> _logger;
    private readonly Dictionary<string, ResiliencePipeline<SendResult?>> _pipelines = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    public ChannelDispatcher(SendHandler workflow, INotifyStore store, DispatchQueue queue, IEnumerable<IPushProvider> push,
        IEmailSender? email, ChannelHealth health, DispatchOptions options, NotifyMetrics metrics, TimeProvider time, ILogger<ChannelDispatcher> logger)
    {
        (_sends, _store, _queue, _email, _health, _options, _metrics, _time, _logger) = (workflow, store, queue, email, health, options, metrics, time, logger);
        _push = push.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var name in _push.Keys.Append("email").Where(n => n != "email" || email is not null))
        {
            _pipelines[name] = Pipeline(name);
            health.Configured(name);
        }
    }

    /// <summary>Sends what the workflow queues until <paramref name="ct"/> is cancelled; first, what a previous run left pending.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var pending in await _store.GetPendingSendsAsync(_time.UtcNow(), int.MaxValue, ct))
            _queue.Enqueue(new SendJob(pending.NotificationId, pending.DeliveryId));

        using var gate = new SemaphoreSlim(_options.MaxConcurrentSends);
        var running = new ConcurrentDictionary<Task, byte>();
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(ct))
            {
                await gate.WaitAsync(ct);
                var task = Task.Run(() => ProcessAsync(job, ct), CancellationToken.None);
                running[task] = 0;
                _ = task.ContinueWith(t =>
                {
                    running.TryRemove(t, out _);
                    gate.Release();
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            // Sends in flight finish or see the cancellation; what they did not settle stays pending for the next start.
            try { await Task.WhenAll(running.Keys); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>Sends one job to the end (sent, failed, or stopped). Exposed for tests and benchmarks.</summary>
    public async Task ProcessAsync(DispatchJob job, CancellationToken ct)
    {
        if (!_inFlight.TryAdd(job.DeliveryId + (job is ClearJob ? "/clear" : ""), 0)) return;
        try
        {
            if (job is SendJob send) await SendAsync(send, ct);
            else if (job is ClearJob clear) await ClearAsync(clear, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The delivery stays pending; the next start sends it again.
            LogDispatchFailed(e, job.NotificationId, job.DeliveryId);
        }
        finally
        {
            _inFlight.TryRemove(job.DeliveryId + (job is ClearJob ? "/clear" : ""), out _);
        }
    }

    private async Task SendAsync(SendJob job, CancellationToken ct)
    {
        var plan = await _sends.PrepareSendAsync(job, ct);
        if (!plan.Ready)
        {
            if (plan.FailDelivery) await _sends.FailSendAsync(job, plan.StopReason!, ct);
            return;
        }
        if (!_pipelines.TryGetValue(plan.Provider!, out var pipeline))
        {
            await _sends.FailSendAsync(job, $"provider {plan.Provider} is not configured (see docs/channels.md)", ct);
            return;
        }

        var attempts = 0;
        var stop = (SendPlan?)null;
        var result = await ExecuteAsync(pipeline, job, async token =>
        {
            if (attempts++ > 0)
            {
                plan = await _sends.PrepareSendAsync(job, token);
                if (!plan.Ready)
                {
                    stop = plan;
                    return null;
                }
            }
            var (outcome, attempt) = await CallAsync(plan, job.DeliveryId, token);
            // A dead token is forgotten before the delivery is settled: settling decides the next step at once, which
            // must not pick this device for push again (and whoever reads the failure sees the token gone).
            if (outcome is { Outcome: SendOutcome.TokenInvalid } && plan is { Push: { } dead, DeviceId: { } deadDevice })
                await _sends.ForgetPushTokenAsync(deadDevice, dead.Target.Token, token);
            await _sends.RecordSendAsync(job, attempt, outcome, token);
            return outcome;
        }, ct);

        if (stop is { FailDelivery: true }) await _sends.FailSendAsync(job, stop.StopReason!, ct);
        else if (result is { Outcome: SendOutcome.Transient } last)
            await _sends.FailSendAsync(job, $"gave up after {attempts} attempt(s); last: {last.Status} {last.Reason}".Replace("  ", " ", StringComparison.Ordinal), ct);
        if (result is { Outcome: SendOutcome.Misconfigured } bad) LogMisconfigured(plan.Provider!, bad.Status, bad.Reason);
    }

    private async Task ClearAsync(ClearJob job, CancellationToken ct)
    {
        var device = await _store.GetDeviceAsync(job.DeviceId, ct);
        if (device?.Device.Push is not { } target || !_pipelines.TryGetValue(target.Provider, out var pipeline)) return;
        var details = await _store.GetNotificationAsync(job.NotificationId, ct);
        if (details is null) return;
        var plan = new SendPlan(target.Provider, new PushMessage(target, PushKind.Clear, NotificationPayload.From(details.Notification),
            details.Notification.CollapseKey, job.Reason), null, null, false);
        var result = await ExecuteAsync(pipeline, job, async token =>
        {
            var (outcome, attempt) = await CallAsync(plan, job.DeliveryId, token);
            await _sends.RecordAttemptAsync(job.NotificationId, attempt with { Reason = $"clear ({job.Reason}): {attempt.Reason ?? "accepted"}" }, token);
            return outcome;
        }, ct);
        if (result is { Outcome: SendOutcome.TokenInvalid }) await _sends.ForgetPushTokenAsync(job.DeviceId, target.Token, ct);
    }

    private async Task<(SendResult, SendAttempt)> CallAsync(SendPlan plan, string deliveryId, CancellationToken ct)
    {
        var provider = plan.Provider!;
        var started = _time.GetTimestamp();
        SendResult result;
        try
        {
            result = plan.Email is { } email ? await _email!.SendAsync(email, ct) : await _push[provider].SendAsync(plan.Push!, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // An adapter should classify its own failures; anything that escapes is treated as transient.
            result = new SendResult(SendOutcome.Transient, provider, null, $"{e.GetType().Name}: {e.Message}");
        }
        var latency = _time.GetElapsedTime(started);
        _metrics.SendAttempted(provider, result.Outcome, latency);
        _health.Report(provider, result, _time.GetUtcNow());
        var reason = result.Outcome == SendOutcome.Sent ? result.MessageId is { } id ? $"accepted (id {id})" : "accepted" : result.Reason;
        return (result, new SendAttempt(deliveryId, _time.UtcNow(), provider, result.Outcome, result.Status, reason, latency));
    }

    private sealed record DispatchState(DispatchJob Job);

    private static async Task<SendResult?> ExecuteAsync(ResiliencePipeline<SendResult?> pipeline, DispatchJob job,
        Func<CancellationToken, Task<SendResult?>> call, CancellationToken ct)
    {
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(StateKey, new DispatchState(job));
        try
        {
            return await pipeline.ExecuteAsync(async c => await call(c.CancellationToken), context);
        }
        catch (BrokenCircuitException e)
        {
            // The last retry found the circuit still open.
            return new SendResult(SendOutcome.Transient, "circuit", null, $"the provider's circuit is open: {e.Message}");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline<SendResult?> Pipeline(string provider)
    {
        var transient = new PredicateBuilder<SendResult?>().HandleResult(r => r is { Outcome: SendOutcome.Transient });
        return new ResiliencePipelineBuilder<SendResult?> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<SendResult?>
            {
                ShouldHandle = new PredicateBuilder<SendResult?>().HandleResult(r => r is { Outcome: SendOutcome.Transient }).Handle<BrokenCircuitException>(),
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.FirstRetryDelay,
                MaxDelay = _options.MaxRetryDelay,
                DelayGenerator = args =>
                {
                    var wanted = args.Outcome.Result?.RetryAfter ?? (args.Outcome.Exception as BrokenCircuitException)?.RetryAfter;
                    return ValueTask.FromResult(wanted is { } w ? (TimeSpan?)(w > _options.MaxRetryDelay ? _options.MaxRetryDelay : w) : null);
                },
                OnRetry = async args =>
                {
                    // An open circuit refuses the call before it reaches the adapter: record that too, so the notification shows why.
                    if (args.Outcome.Exception is BrokenCircuitException && args.Context.Properties.TryGetValue(StateKey, out var state))
                    {
                        var job = state.Job;
                        var attempt = new SendAttempt(job.DeliveryId, _time.UtcNow(), provider, SendOutcome.Transient, null,
                            $"not called: the {provider} circuit is open after repeated failures; next try in {args.RetryDelay.TotalSeconds:0.#} s", TimeSpan.Zero);
                        await _sends.RecordAttemptAsync(job.NotificationId, attempt, args.Context.CancellationToken);
                    }
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<SendResult?>
            {
                ShouldHandle = transient,
                FailureRatio = _options.CircuitFailureRatio,
                MinimumThroughput = _options.CircuitMinimumThroughput,
                SamplingDuration = _options.CircuitSamplingDuration,
                BreakDuration = _options.CircuitBreakDuration,
                OnOpened = args =>
                {
                    _health.CircuitOpened(provider, _time.GetUtcNow());
                    LogCircuitOpened(provider, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    _health.CircuitClosed(provider);
                    LogCircuitClosed(provider);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    private static readonly ResiliencePropertyKey<DispatchState> StateKey = new("notify.dispatch");

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatching {DeliveryId} of {NotificationId} failed; it stays pending and is sent again at the next start")]
    private partial void LogDispatchFailed(Exception e, string notificationId, string deliveryId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Provider} channel is misconfigured ({Status} {Reason}); its sends fail until the configuration is fixed (see docs/channels.md)")]
    private partial void LogMisconfigured(string provider, int? status, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Provider} circuit opened after repeated transient failures; calls wait {BreakDuration}")]
    private partial void LogCircuitOpened(string provider, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Provider} circuit closed: the provider answers again")]
    private partial void LogCircuitClosed(string provider);
}
