using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Notify.Server.Realtime.Grip;

/// <summary>One message for one device's channel: its JSON, and the SSE event id when it has one.</summary>
public sealed record GripItem(string Channel, ReadOnlyMemory<byte> Json, string? EventId);

/// <summary>
/// The body of Pushpin's <c>POST /publish/</c>: one item per message, each with both formats, so WebSocket clients
/// (<c>ws-message</c>) and held SSE streams (<c>http-stream</c>, an <c>id:</c>/<c>data:</c> event) on the channel get it.
/// </summary>
public static class GripPublishBody
{
    public static byte[] Write(IReadOnlyList<GripItem> items)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * items.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("items");
            foreach (var item in items)
            {
                var text = Encoding.UTF8.GetString(item.Json.Span);
                json.WriteStartObject();
                json.WriteString("channel", item.Channel);
                json.WriteStartObject("formats");
                json.WriteStartObject("ws-message");
                json.WriteString("content", text);
                json.WriteEndObject();
                json.WriteStartObject("http-stream");
                json.WriteString("content", (item.EventId is null ? "" : $"id: {item.EventId}\n") + $"data: {text}\n\n");
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// Publishes to Pushpin, batching: messages queue while a POST is in flight, or until
/// <see cref="GripOptions.MinPublishInterval"/> has passed since the last one started, and all go in the next one (up to
/// <see cref="GripOptions.MaxPublishBatch"/>), so a burst of decisions costs a few POSTs, not one per device.
/// A message that could not be published is not lost: the delivery is stored, and the device gets it again when
/// it reconnects (open in-app deliveries, sent or not, are re-sent on every connect).
/// </summary>
public sealed partial class GripPublisher : IAsyncDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HttpClient _http;
    private readonly GripOptions _options;
    private readonly ILogger<GripPublisher> _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private readonly TimeProvider _pacing;

    /// <param name="pacing">The clock for <see cref="GripOptions.MinPublishInterval"/>: the real one (the default), since it
    /// paces traffic to Pushpin, not domain time; tests pass a fake one.</param>
    public GripPublisher(HttpClient http, GripOptions options, ILogger<GripPublisher> logger, TimeProvider? pacing = null)
    {
        _http = http;
        _options = options;
        _logger = logger;
        _pacing = pacing ?? TimeProvider.System;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>POSTs so far (for tests and metrics: fewer than messages when publishes batch).</summary>
    public int Posts => Volatile.Read(ref _posts);

    private int _posts;

    /// <summary>Queues one message; completes true once Pushpin accepted the POST that carried it.</summary>
    public Task<bool> PublishAsync(GripItem item, CancellationToken ct = default)
    {
        var pending = new Pending(item, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending)) return Task.FromResult(false);
        return pending.Done.Task.WaitAsync(ct);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var batch = new List<Pending>();
        try
        {
            long? lastPost = null;
            while (await _queue.Reader.WaitToReadAsync(stop))
            {
                // Pace: at most one POST per MinPublishInterval; what arrives meanwhile joins this one.
                if (lastPost is { } last && _pacing.GetElapsedTime(last) is var since && since < _options.MinPublishInterval)
                    await Task.Delay(_options.MinPublishInterval - since, _pacing, stop);
                lastPost = _pacing.GetTimestamp();
                batch.Clear();
                while (batch.Count < _options.MaxPublishBatch && _queue.Reader.TryRead(out var p)) batch.Add(p);
                var ok = await PostAsync(batch, stop);
                foreach (var p in batch) p.Done.TrySetResult(ok);
            }
        }
        catch (OperationCanceledException) { }
        foreach (var p in batch) p.Done.TrySetResult(false);
        while (_queue.Reader.TryRead(out var p)) p.Done.TrySetResult(false);
    }

    private async Task<bool> PostAsync(List<Pending> batch, CancellationToken stop)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(_options.PublishTimeout);
            using var content = new ByteArrayContent(GripPublishBody.Write(batch.Select(p => p.Item).ToList()));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _http.PostAsync(new Uri(_options.ControlUri!, "publish/"), content, timeout.Token);
            Interlocked.Increment(ref _posts);
            if (response.IsSuccessStatusCode) return true;
            LogPublishRefused((int)response.StatusCode, batch.Count, await response.Content.ReadAsStringAsync(stop));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !stop.IsCancellationRequested)
        {
            LogPublishFailed(e, batch.Count, _options.ControlUri!);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _http.Dispose();
    }

    private sealed record Pending(GripItem Item, TaskCompletionSource<bool> Done);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pushpin refused a publish of {Count} messages with {Status}: {Body}; the devices get them when they reconnect")]
    private partial void LogPublishRefused(int status, int count, string body);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} messages to Pushpin at {ControlUri} failed; the devices get them when they reconnect")]
    private partial void LogPublishFailed(Exception e, int count, Uri controlUri);
}
