using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Notify.Bench.Load;

/// <summary>
/// The baseline: a minimal-API JSON endpoint on Kestrel in this process, on 127.0.0.1 and a free port. It
/// binds the same body <c>POST /v1/notify</c> gets (unknown fields refused, as the server does) and answers
/// 202 with a body shaped and sized like Notify's answer, but does no work: no auth, no store, no decision.
/// </summary>
public sealed class BareEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareEndpoint(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public sealed record Payload(string UserId, string Category, string? Title, string? Body);

    public sealed record Decision(string DeviceId, string Channel, DateTimeOffset DeliverAt, string Reason);

    public sealed record Accepted(string NotificationId, string Status, Decision Decision);

    // As long as the reason the engine writes for an attention step ("step 1 (to attention via inApp): laptop (desktop dev_…) has …").
    private const string Reason = "step 1 (to attention via inApp): laptop (desktop dev_0196b0c0a1b27c3d8e9f0a1b2c3d4e5f) has the user's attention (active, last active 2025-01-01T00:00:00.0000000+00:00)";

    public static async Task<BareEndpoint> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        var app = builder.Build();
        var time = TimeProvider.System;
        app.MapPost("/echo", (Payload p) => Results.Accepted(value: new Accepted(
            "ntf_" + Guid.CreateVersion7().ToString("N"), "delivered",
            new Decision("dev_0196b0c0a1b27c3d8e9f0a1b2c3d4e5f", "inApp", time.GetUtcNow(), Reason))));
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BareEndpoint(app, new Uri(address));
    }

    /// <summary>A quick check that the endpoint answers the body the load sends, before measuring it.</summary>
    public static async Task CheckAsync(HttpClient client, byte[] body, CancellationToken ct)
    {
        using var response = await client.SendAsync(Http.Post("/echo", body), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"the bare endpoint answered {(int)response.StatusCode}: {text}");
        using var _ = JsonDocument.Parse(text);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
