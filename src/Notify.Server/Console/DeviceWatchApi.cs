using System.Text.Json;
using Microsoft.Extensions.Options;
using Notify.Engine.Devices;
using Notify.Engine.Model;
using Notify.Engine.Storage;
using Notify.Server.Api;
using Notify.Server.Auth;
using Notify.Server.Realtime;

// Not Notify.Server.Console: that namespace would hide System.Console from all server code.
namespace Notify.Server.WebConsole;

/// <summary>
/// <c>GET /v1/users/{userId}/devices/events</c>: a Server-Sent Events stream of one user's devices as their state
/// changes (connect, disconnect, state reports, pings), for the console's live device view. The first event is
/// every device; after it, one event per changed device. Read it with <c>fetch</c> and the Authorization header
/// (a browser's <c>EventSource</c> cannot send one).
/// </summary>
public static partial class DeviceWatchApi
{
    public static IEndpointRouteBuilder MapDeviceWatchApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/users/{userId}/devices/events", WatchAsync).RequireAuthorization(Policies.AppOrAdmin).WithTags("Devices")
            .WithSummary("Live device state of one user as Server-Sent Events (for operators' dashboards)")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream").ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>The first event: the user's devices as <c>GET /v1/users/{id}</c> shows them.</summary>
    public sealed record DevicesEvent(IReadOnlyList<UsersApi.DeviceView> Devices)
    {
        public string Type => "devices";
    }

    /// <summary>One device changed.</summary>
    public sealed record DeviceEvent(UsersApi.DeviceView Device)
    {
        public string Type => "device";
    }

    /// <summary>A device was removed (seen when its last connection closed).</summary>
    public sealed record RemovedEvent(string DeviceId)
    {
        public string Type => "removed";
    }

    private static async Task WatchAsync(string userId, HttpContext context, INotifyStore store, DeviceStateTracker tracker, TimeProvider time,
        IOptions<RealtimeOptions> options, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        var (user, problem) = await UsersApi.FindVisibleAsync(userId, context, store);
        if (user is null)
        {
            await problem!.ExecuteAsync(context);
            return;
        }
        // The stream ends when the client goes or when the node begins to stop (as the devices' own streams do), so an
        // open console never holds a shutdown for the host's timeout.
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var aborted = ends.Token;
        // A device that reports many times while a write is slow is sent once, with its latest state.
        var changed = System.Threading.Channels.Channel.CreateUnbounded<string>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
        void OnChanged(Device d)
        {
            if (d.AppId == user.AppId && d.UserId == user.Id) changed.Writer.TryWrite(d.Id);
        }
        tracker.Changed += OnChanged;
        try
        {
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            var devices = tracker.Snapshots(await store.GetDevicesAsync(user.AppId, user.Id, aborted));
            await WriteAsync(context.Response, new DevicesEvent(devices.Select(DevicesApi.View).ToList()), aborted);

            var keepAlive = Task.Delay(options.Value.SseKeepAliveInterval, time, aborted);
            while (!aborted.IsCancellationRequested)
            {
                var ready = changed.Reader.WaitToReadAsync(aborted).AsTask();
                if (await Task.WhenAny(ready, keepAlive) == keepAlive)
                {
                    await keepAlive;
                    await context.Response.WriteAsync(": keep-alive\n\n", aborted);
                    await context.Response.Body.FlushAsync(aborted);
                    keepAlive = Task.Delay(options.Value.SseKeepAliveInterval, time, aborted);
                    continue;
                }
                if (!await ready) break;
                var ids = new HashSet<string>(StringComparer.Ordinal);
                while (changed.Reader.TryRead(out var id)) ids.Add(id);
                foreach (var id in ids.Order(StringComparer.Ordinal))
                {
                    var stored = await store.GetDeviceAsync(id, aborted);
                    object message = stored is null ? new RemovedEvent(id) : new DeviceEvent(DevicesApi.View(tracker.Snapshot(stored)));
                    await WriteAsync(context.Response, message, aborted);
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException e)
        {
            LogClosed(loggers.CreateLogger("Notify.Console"), user.Id, e.Message);
        }
        finally
        {
            tracker.Changed -= OnChanged;
        }
    }

    private static async Task WriteAsync(HttpResponse response, object message, CancellationToken ct)
    {
        await response.WriteAsync("data: ", ct);
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), ServerJson.Strict), ct);
        await response.WriteAsync("\n\n", ct);
        await response.Body.FlushAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Device watch of user {UserId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string userId, string reason);
}
