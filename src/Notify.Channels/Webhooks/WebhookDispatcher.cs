using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Storage;

namespace Notify.Channels.Webhooks;

/// <summary>
/// Posts delivery-status events from the durable outbox to each app's webhook, signed (<see cref="WebhookSignature"/>),
/// at least once, oldest first. A failed post (no answer, a timeout, anything but 2xx) is retried with exponential backoff
/// and jitter, or after the app's <c>Retry-After</c>; after <see cref="WebhookDeliveryOptions.MaxAttempts"/> the event is
/// given up and logged. Receivers de-duplicate by the <c>Notify-Event-Id</c> header.
/// </summary>
public sealed partial class WebhookDispatcher(INotifyStore store, DispatchQueue signal, IReadOnlyDictionary<string, WebhookTarget> targets,
    WebhookDeliveryOptions options, HttpClient http, NotifyMetrics metrics, TimeProvider time, ILogger<WebhookDispatcher> logger)
{
    private const int BatchSize = 100;

    /// <summary>Posts due events until <paramref name="ct"/> is cancelled; wakes on new events, on the next retry's due time,
    /// or every <see cref="WebhookDeliveryOptions.PollInterval"/>.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (await PostDueAsync(ct) > 0) continue;
                var next = await store.GetNextWebhookDueAsync(ct);
                var wait = next is { } due ? due - time.GetUtcNow() : options.PollInterval;
                if (wait <= TimeSpan.Zero) continue;
                if (wait > options.PollInterval) wait = options.PollInterval;
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                await Task.WhenAny(Task.Delay(wait, time, stop.Token), signal.WaitForWebhooksAsync(stop.Token));
                await stop.CancelAsync();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogLoopFailed(e);
                try { await Task.Delay(options.FirstRetryDelay, time, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Posts every event due now once; returns how many it posted (for tests and the loop).</summary>
    public async Task<int> PostDueAsync(CancellationToken ct)
    {
        var due = await store.GetDueWebhooksAsync(time.GetUtcNow(), BatchSize, ct);
        // Apps in parallel; one app's events in order (oldest first), so a receiver sees delivered before seen.
        await Parallel.ForEachAsync(due.GroupBy(e => e.AppId), new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrency, CancellationToken = ct },
            async (events, token) =>
            {
                foreach (var item in events) await PostAsync(item, token);
            });
        return due.Count;
    }

    private async Task PostAsync(WebhookOutboxItem item, CancellationToken ct)
    {
        var attempts = item.Attempts + 1;
        if (!targets.TryGetValue(item.AppId, out var target) || target.Url is null)
        {
            await store.UpdateWebhookAsync(item.Id, attempts, null, $"app '{item.AppId}' has no webhook configured any more", ct);
            return;
        }
        string? error;
        TimeSpan? retryAfter = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new StringContent(item.PayloadJson) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Create(target.Secret, time.GetUtcNow().ToUnixTimeSeconds(), item.PayloadJson));
            request.Headers.Add("Notify-Event-Id", item.Id);
            request.Headers.Add("Notify-Event-Type", item.Type);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Notify-Webhooks", "1"));
            using var timeout = new CancellationTokenSource(options.Timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            using var response = await http.SendAsync(request, linked.Token);
            if (response.IsSuccessStatusCode)
            {
                await store.UpdateWebhookAsync(item.Id, attempts, null, null, ct);
                metrics.WebhookPosted("delivered");
                return;
            }
            error = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            if ((int)response.StatusCode is >= 300 and < 400)
                error += $": redirects are not followed (to {response.Headers.Location?.ToString() ?? "nowhere"}); configure the final URL";
            retryAfter = response.Headers.RetryAfter is { } ra ? ra.Delta ?? (ra.Date is { } date ? date - time.GetUtcNow() : null) : null;
            if (response.StatusCode == HttpStatusCode.Gone)
            {
                // The app says the endpoint is gone for good: stop, do not retry.
                await GiveUpAsync(item, attempts, $"{error}: the endpoint is gone", ct);
                return;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"no answer within {options.Timeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException e)
        {
            error = e.Message;
        }

        if (attempts >= options.MaxAttempts)
        {
            await GiveUpAsync(item, attempts, error, ct);
            return;
        }
        var backoff = options.FirstRetryDelay * Math.Pow(2, Math.Min(attempts - 1, 30)) * (0.8 + 0.4 * Random.Shared.NextDouble());
        var delay = retryAfter is { } wanted && wanted > TimeSpan.Zero ? wanted : backoff;
        if (delay > options.MaxRetryDelay) delay = options.MaxRetryDelay;
        await store.UpdateWebhookAsync(item.Id, attempts, time.UtcNow() + delay, error, ct);
        metrics.WebhookPosted("retry");
        LogRetry(item.Type, item.Id, item.AppId, attempts, error, delay);
    }

    private async Task GiveUpAsync(WebhookOutboxItem item, int attempts, string? error, CancellationToken ct)
    {
        await store.UpdateWebhookAsync(item.Id, attempts, null, $"gave up: {error}", ct);
        metrics.WebhookPosted("gave-up");
        LogGaveUp(item.Type, item.Id, item.AppId, attempts, error);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Type} {EventId} for app {AppId}: post {Attempt} failed ({Error}); retrying in {Delay}")]
    private partial void LogRetry(string type, string eventId, string appId, int attempt, string? error, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {Type} {EventId} for app {AppId}: gave up after {Attempts} posts ({Error})")]
    private partial void LogGaveUp(string type, string eventId, string appId, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The webhook loop failed; it starts again shortly")]
    private partial void LogLoopFailed(Exception e);
}
