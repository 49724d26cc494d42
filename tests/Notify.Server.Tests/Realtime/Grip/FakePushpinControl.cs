using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Notify.Server.Tests.Realtime.Grip;

/// <summary>
/// Pushpin's publish endpoint (<c>POST /publish/</c>) on real Kestrel, recording each POST's items. While
/// <see cref="Gate"/> is not completed, POSTs wait, so a test can make publishes queue up behind one in flight.
/// </summary>
internal sealed class FakePushpinControl : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly System.Threading.Channels.Channel<JsonElement> _items = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();

    private FakePushpinControl(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<int> PostSizes { get; } = new();

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource FirstPostArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FakePushpinControl> StartAsync(bool gated = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var control = new FakePushpinControl(app);
        if (!gated) control.Gate.SetResult();
        app.MapPost("/publish/", async (HttpContext context) =>
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body);
            var items = doc.RootElement.GetProperty("items");
            control.FirstPostArrived.TrySetResult();
            await control.Gate.Task;
            control.PostSizes.Enqueue(items.GetArrayLength());
            foreach (var item in items.EnumerateArray()) control._items.Writer.TryWrite(item.Clone());
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        control.BaseAddress = new Uri(address + "/");
        return control;
    }

    /// <summary>The next published item, or throws after <paramref name="timeout"/> (a deadline, not a wait).</summary>
    public async Task<JsonElement> NextItemAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        return await _items.Reader.ReadAsync(cts.Token);
    }

    /// <summary>The next item published to <paramref name="channel"/> whose WebSocket content has the given type.</summary>
    public async Task<JsonElement> NextAsync(string channel, string type)
    {
        while (true)
        {
            var item = await NextItemAsync();
            if (item.GetProperty("channel").GetString() != channel) continue;
            var content = JsonDocument.Parse(item.GetProperty("formats").GetProperty("ws-message").GetProperty("content").GetString()!).RootElement;
            if (content.GetProperty("type").GetString() == type) return content;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Gate.TrySetResult();
        await _app.DisposeAsync();
    }
}
