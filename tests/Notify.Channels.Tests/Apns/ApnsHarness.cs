using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Notify.Channels.Apns;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Loopback.Apns;

namespace Notify.Channels.Tests.Apns;

/// <summary>A loopback APNs with a trusted key, options pointing at it, and a fake clock shared by both.</summary>
internal sealed class ApnsHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly List<ApnsProvider> _providers = [];

    private ApnsHarness(ApnsLoopbackServer server, FakeTimeProvider clock, string directory, ApnsSigningKey key)
    {
        Server = server;
        Clock = clock;
        Directory = directory;
        Key = key;
        Options = new ApnsOptions
        {
            TeamId = key.TeamId,
            KeyId = key.KeyId,
            PrivateKeyFile = key.PrivateKeyFile,
            Topic = "com.example.chat",
            Endpoint = server.BaseUri,
        };
    }

    public ApnsLoopbackServer Server { get; }
    public FakeTimeProvider Clock { get; }
    public string Directory { get; }
    public ApnsSigningKey Key { get; }
    public ApnsOptions Options { get; }

    /// <param name="serverClock">The server's own clock (default: the same fake clock as the adapter).</param>
    public static async Task<ApnsHarness> StartAsync(TimeProvider? serverClock = null)
    {
        var clock = new FakeTimeProvider(Start);
        var server = await ApnsLoopbackServer.StartAsync(serverClock ?? clock);
        var directory = Path.Combine(Path.GetTempPath(), "notify-apns-" + Guid.NewGuid().ToString("N"));
        var key = server.CreateKey(directory);
        return new ApnsHarness(server, clock, directory, key);
    }

    public ApnsProvider CreateProvider(ApnsOptions? options = null)
    {
        var provider = new ApnsProvider(options ?? Options, Clock, NullLogger<ApnsProvider>.Instance);
        _providers.Add(provider);
        return provider;
    }

    public static PushMessage Alert(string? token = null, Priority priority = Priority.Normal, bool silent = false,
        string? collapseKey = null, string? topic = "com.example.chat", string? body = "Hi Ana, lunch at 1?", JsonObject? data = null) =>
        new(new PushRegistration("apns", token ?? ApnsLoopbackServer.NewDeviceToken(), topic, "production"), PushKind.Alert,
            Payload(priority, silent, body, data), collapseKey);

    public static PushMessage Clear(string? token = null, string reason = "seen-elsewhere") =>
        new(new PushRegistration("apns", token ?? ApnsLoopbackServer.NewDeviceToken(), "com.example.chat", "production"), PushKind.Clear,
            Payload(Priority.High, false, "ignored", null), ClearReason: reason);

    public static NotificationPayload Payload(Priority priority, bool silent, string? body, JsonObject? data) =>
        new("ntf_01", "chat.message", "Ben", body, data ?? new JsonObject { ["threadId"] = "t_9", ["unread"] = 3 }, priority,
            Start, Start.AddHours(2), silent ? true : null);

    /// <summary>The decoded header and claims of a compact JWT.</summary>
    public static (JsonObject Header, JsonObject Claims) DecodeJwt(string jwt)
    {
        var parts = jwt.Split('.');
        return ((JsonObject)JsonNode.Parse(Base64Url(parts[0]))!, (JsonObject)JsonNode.Parse(Base64Url(parts[1]))!);
    }

    private static string Base64Url(string s)
    {
        var b64 = s.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(b64 + new string('=', (4 - b64.Length % 4) % 4)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers) provider.Dispose();
        await Server.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
