using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Notify.Channels.Fcm;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Loopback.Fcm;

namespace Notify.Channels.Tests.Fcm;

/// <summary>A loopback FCM, a service account for it, and a provider pointed at it, sharing one fake clock.</summary>
internal sealed class FcmTestHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly string _folder;

    private FcmTestHost(FcmLoopbackServer server, FakeTimeProvider time, FcmServiceAccount account, FcmProvider provider, string folder)
    {
        Server = server;
        Time = time;
        Account = account;
        Provider = provider;
        _folder = folder;
    }

    public FcmLoopbackServer Server { get; }
    public FakeTimeProvider Time { get; }
    public FcmServiceAccount Account { get; }
    public FcmProvider Provider { get; }

    public static async Task<FcmTestHost> StartAsync(Action<FcmOptions>? configure = null)
    {
        var time = new FakeTimeProvider(Start);
        var server = await FcmLoopbackServer.StartAsync(time);
        var folder = Path.Combine(Path.GetTempPath(), "notify-fcm-tests", Guid.NewGuid().ToString("n"));
        var account = server.CreateServiceAccount(folder, "notify-test");
        var options = new FcmOptions { ServiceAccountFile = account.Path, Endpoint = server.BaseUri };
        configure?.Invoke(options);
        var provider = new FcmProvider(options, time, NullLogger<FcmProvider>.Instance);
        return new FcmTestHost(server, time, account, provider, folder);
    }

    /// <summary>Asserts the outcome and shows the whole result (reason, status) when it differs.</summary>
    public static void AssertOutcome(SendOutcome expected, SendResult result) =>
        Assert.True(result.Outcome == expected, $"Expected {expected}, got {result}");

    public static PushMessage Alert(string token = "device-token-1", Priority priority = Priority.Normal, bool silent = false,
        string? collapseKey = null, JsonObject? data = null, TimeSpan? expiresIn = null, string? body = "Build 42 failed on main") =>
        new(new PushRegistration("fcm", token, null, null), PushKind.Alert,
            new NotificationPayload("ntf_1", "build", "Build failed", body, data, priority, Start, Start + (expiresIn ?? TimeSpan.FromHours(1)),
                silent ? true : null),
            collapseKey);

    public static PushMessage Clear(string token = "device-token-1", string reason = "seen-elsewhere") =>
        new(new PushRegistration("fcm", token, null, null), PushKind.Clear,
            new NotificationPayload("ntf_1", "build", "Build failed", "Build 42 failed on main", null, Priority.High, Start, Start + TimeSpan.FromHours(1)),
            null, reason);

    public async ValueTask DisposeAsync()
    {
        Provider.Dispose();
        await Server.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
