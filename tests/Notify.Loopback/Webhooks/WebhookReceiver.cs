using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Notify.Loopback.Webhooks;

/// <summary>One POST the receiver got.</summary>
public sealed record ReceivedWebhook(string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// An app's webhook endpoint on loopback: records every POST to <c>/hook</c> and answers 200, or the statuses queued
/// with <see cref="FailNext"/> (with an optional <c>Retry-After</c>).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, int? RetryAfterSeconds, string? Location)> _replies = new();
    private readonly List<ReceivedWebhook> _received = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    private WebhookReceiver(WebApplication app) => _app = app;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = new Uri(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/hook");
        return receiver;
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<ReceivedWebhook> Received
    {
        get { lock (_received) return [.. _received]; }
    }

    /// <summary>The next <paramref name="count"/> posts are answered with <paramref name="status"/>.</summary>
    public void FailNext(int count, int status, int? retryAfterSeconds = null)
    {
        for (var i = 0; i < count; i++) _replies.Enqueue((status, retryAfterSeconds, null));
    }

    /// <summary>The next post is answered 307 Temporary Redirect to <paramref name="location"/> (which keeps the method and body).</summary>
    public void RedirectNext(Uri location) => _replies.Enqueue((307, null, location.ToString()));

    /// <summary>Completes once at least <paramref name="count"/> posts were received.</summary>
    public Task WaitForAsync(int count, CancellationToken ct)
    {
        lock (_received)
        {
            if (_received.Count >= count) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task.WaitAsync(ct);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var (status, retryAfter, location) = _replies.TryDequeue(out var reply) ? reply : (200, null, null);
        context.Response.StatusCode = status;
        if (location is not null) context.Response.Headers.Location = location;
        if (retryAfter is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        lock (_received)
        {
            _received.Add(new ReceivedWebhook(body, headers));
            foreach (var waiter in _waiters.Where(w => _received.Count >= w.Count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
