using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Loopback.Apns;
using Notify.Loopback.Fcm;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Channels;

/// <summary>Push end to end: the real server, its dispatcher and adapters, against loopback FCM and APNs servers that speak
/// the providers' protocols (OAuth, HTTP/2, provider tokens) and answer with their documented errors.</summary>
public sealed class PushTests : IAsyncLifetime
{
    private const string PushFirst = """
        name: default
        ttl: 2h
        steps:
          - to: best
            via: push
            wait: 15m
          - to: best
            via: inApp
        """;

    private readonly FakeTimeProvider _time = NotifyTestServer.NewClock();
    private readonly string _secrets = Directory.CreateTempSubdirectory("notify-push-").FullName;
    private FcmLoopbackServer _fcm = null!;
    private ApnsLoopbackServer _apns = null!;
    private NotifyTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _fcm = await FcmLoopbackServer.StartAsync(_time);
        _apns = await ApnsLoopbackServer.StartAsync(_time);
        var account = _fcm.CreateServiceAccount(_secrets, "notify-test");
        var key = _apns.CreateKey(_secrets);
        _settings = new Dictionary<string, string?>
        {
            ["Channels:Fcm:ServiceAccountFile"] = account.Path,
            ["Channels:Fcm:Endpoint"] = _fcm.BaseUri.ToString(),
            ["Channels:Apns:TeamId"] = key.TeamId,
            ["Channels:Apns:KeyId"] = key.KeyId,
            ["Channels:Apns:PrivateKeyFile"] = key.PrivateKeyFile,
            ["Channels:Apns:Topic"] = "com.example.chat",
            ["Channels:Apns:Endpoint"] = _apns.BaseUri.ToString(),
        };
        _server = new NotifyTestServer(_settings, new Dictionary<string, string> { ["default.yaml"] = PushFirst }, time: _time);
    }

    private Dictionary<string, string?> _settings = null!;

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _fcm.DisposeAsync();
        await _apns.DisposeAsync();
        try { Directory.Delete(_secrets, recursive: true); } catch (IOException) { }
    }

    private async Task<(Scenario Ana, string PhoneId)> AnaWithPhoneAsync(string provider, string token, string? userId = null)
    {
        var ana = await Scenario.CreateAsync(_server, userId ?? "ana");
        var result = await ana.App.RegisterDeviceAsync(ana.UserId, new DeviceRegistration
        {
            Platform = provider == "apns" ? Platform.Ios : Platform.Android, Name = "phone",
            Push = new PushRegistration { Provider = provider, Token = token },
        });
        ana.Devices["phone"] = (result.DeviceId, result.DeviceToken);
        return (ana, result.DeviceId);
    }

    private async Task<NotificationDetails> WaitForAsync(NotifyAppClient app, string notificationId, Func<NotificationDetails, bool> condition, string what)
    {
        NotificationDetails? last = null;
        await Waits.UntilAsync(() => condition(last = app.GetNotificationAsync(notificationId).GetAwaiter().GetResult()), what);
        return last!;
    }

    [Fact]
    public async Task Notify_OfflineAndroid_IsPushedThroughFcmAndTheAttemptIsRecorded()
    {
        var (ana, phone) = await AnaWithPhoneAsync("fcm", "fcm-token-1");
        await using var _ = ana;

        var sent = await ana.NotifyAsync();
        Assert.Equal(NotificationStatus.Scheduled, sent.Status);
        Assert.Equal(Channel.Push, sent.Decision!.Channel);

        var request = (await _fcm.WaitForRequestsAsync(1)).Single();
        Assert.Equal("fcm-token-1", request.DeviceToken);
        Assert.Equal("Ana mentioned you", (string?)request.Message!["notification"]!["title"]);
        Assert.Equal(sent.NotificationId, (string?)request.Message["data"]!["notificationId"]);
        var details = await WaitForAsync(ana.App, sent.NotificationId, d => d.Status == NotificationStatus.Delivered, "the push to be recorded as delivered");
        var delivery = Assert.Single(details.Deliveries);
        Assert.Equal((phone, Channel.Push, DeliveryStatus.Sent), (delivery.DeviceId, delivery.Channel, delivery.Status));
        var attempt = Assert.Single(details.Attempts);
        Assert.Equal(("fcm", "sent", 200), (attempt.Provider, attempt.Outcome, attempt.Status));
        Assert.Equal(delivery.Id, attempt.DeliveryId);

        using var http = _server.Http();
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("notify_channel_sends{outcome=\"sent\",provider=\"fcm\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("notify_channel_send_duration", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_Iphone_IsPushedThroughApnsOverHttp2WithAProviderToken()
    {
        var token = ApnsLoopbackServer.NewDeviceToken();
        var (ana, _) = await AnaWithPhoneAsync("apns", token);
        await using var __ = ana;

        var sent = await ana.NotifyAsync();
        var request = (await _apns.WaitForDeliveredAsync(1)).Single();
        Assert.Equal(token, request.DeviceToken);
        Assert.Equal("HTTP/2", request.Protocol);
        Assert.Equal("com.example.chat", request.Header("apns-topic"));
        Assert.Equal("alert", request.Header("apns-push-type"));
        Assert.Equal(sent.NotificationId, (string?)request.Payload!["notificationId"]);
        await WaitForAsync(ana.App, sent.NotificationId, d => d.Status == NotificationStatus.Delivered, "the push to be recorded as delivered");
    }

    [Fact]
    public async Task Notify_FcmSaysUnregistered_ForgetsTheTokenFailsTheStepAndFollowsUpAtOnce()
    {
        var (ana, phone) = await AnaWithPhoneAsync("fcm", "dead-token");
        await using var _ = ana;
        await ana.RegisterAsync("laptop", Platform.Desktop);
        _fcm.ReplyForToken("dead-token", FcmReply.Unregistered());

        var sent = await ana.NotifyAsync();
        // No clock movement: the failed step hands over to the next one at once, not after its 15 minute wait.
        var details = await WaitForAsync(ana.App, sent.NotificationId, d => d.Deliveries.Count == 2, "the follow-up delivery");
        var push = details.Deliveries.Single(d => d.Channel == Channel.Push);
        Assert.Equal(DeliveryStatus.Failed, push.Status);
        Assert.Contains("UNREGISTERED", push.Reason, StringComparison.Ordinal);
        Assert.Equal(DeliveryStatus.Pending, details.Deliveries.Single(d => d.Channel == Channel.InApp).Status); // step 2, waiting for a connection
        Assert.Contains(details.Trace, t => t.Message.Contains("step 1 failed: following up at once", StringComparison.Ordinal));
        Assert.Equal("tokenInvalid", Assert.Single(details.Attempts).Outcome);

        var user = await ana.App.GetUserAsync(ana.UserId);
        var device = user.Devices.Single(d => d.Id == phone);
        Assert.Null(device.Push); // forgotten; the device stays
    }

    [Fact]
    public async Task Ack_OnTheLaptop_ClearsThePushedPhoneWithASilentDataMessage()
    {
        var (ana, _) = await AnaWithPhoneAsync("fcm", "fcm-token-2");
        await using var _ = ana;
        await ana.RegisterAsync("laptop", Platform.Desktop);
        var laptop = await ana.ConnectAsync("laptop");

        var sent = await ana.NotifyAsync();
        await WaitForAsync(ana.App, sent.NotificationId, d => d.Status == NotificationStatus.Delivered, "the push to be sent");
        await laptop.AckAsync(sent.NotificationId, AckAction.Seen);

        var requests = await _fcm.WaitForRequestsAsync(2);
        var clear = requests[1].Message!;
        Assert.Equal("fcm-token-2", (string?)clear["token"]);
        Assert.Null(clear["notification"]);
        Assert.Equal("clear", (string?)clear["data"]!["type"]);
        Assert.Equal(sent.NotificationId, (string?)clear["data"]!["notificationId"]);
        Assert.Equal("seen-elsewhere", (string?)clear["data"]!["reason"]);
    }

    [Fact]
    public async Task Burst_FcmOutageInTheMiddle_LosesNothingAndRecovers()
    {
        var (ana, _) = await AnaWithPhoneAsync("fcm", "fcm-token-3");
        await using var _ = ana;
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await ana.NotifyAsync(collapseKey: null)).NotificationId);
        await _fcm.WaitForRequestsAsync(5);

        _fcm.StartOutage(retryAfter: "20");
        for (var i = 0; i < 15; i++) ids.Add((await ana.NotifyAsync()).NotificationId);
        await _fcm.WaitForRequestsAsync(20); // each of the 15 tried once and got 503
        _fcm.EndOutage();

        // Retries wait on the fake clock (Retry-After 20 s); move it until every push went through.
        await Waits.UntilAsync(() =>
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            return _server.Scalar("SELECT COUNT(*) FROM deliveries WHERE channel='push' AND status='sent'") is 20L;
        }, "every push to be sent after the outage", seconds: 60);

        var accepted = _fcm.Requests.Where(r => r.Status == 200).Select(r => (string)r.Message!["data"]!["notificationId"]!).ToHashSet();
        Assert.Equal(ids.ToHashSet(), accepted);
        Assert.Equal(15L, _server.Scalar("SELECT COUNT(*) FROM attempts WHERE outcome='transient' AND status=503"));
        Assert.Equal(0L, _server.Scalar("SELECT COUNT(*) FROM deliveries WHERE status='failed'"));
    }

    [Fact]
    public async Task Restart_WithAPushStillPending_SendsItAfterTheStart()
    {
        var folder = Directory.CreateTempSubdirectory("notify-restart-").FullName;
        try
        {
            string notificationId;
            _fcm.StartOutage(retryAfter: "600");
            await using (var first = new NotifyTestServer(_settings, new Dictionary<string, string> { ["default.yaml"] = PushFirst }, directory: folder, time: _time))
            {
                await using var ana = await Scenario.CreateAsync(first);
                await ana.App.RegisterDeviceAsync(ana.UserId, new DeviceRegistration
                {
                    Platform = Platform.Android, Push = new PushRegistration { Provider = "fcm", Token = "fcm-token-5" },
                });
                notificationId = (await ana.NotifyAsync()).NotificationId;
                await _fcm.WaitForRequestsAsync(1);
                await Waits.UntilAsync(() => first.Count("attempts") == 1, "the failed attempt to be recorded");
            } // stopped while the retry waits: the delivery is still pending in the database
            _fcm.EndOutage();

            await using var second = new NotifyTestServer(_settings, directory: folder, time: _time);
            using var app = second.App();
            await WaitForAsync(app, notificationId, d => d.Status == NotificationStatus.Delivered, "the pending push to be sent after the restart");
            Assert.Equal(2, _fcm.Requests.Count);
            Assert.Equal(200, _fcm.Requests[1].Status);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Notify_FcmThirdPartyAuthError_IsReportedInHealthAndNotRetried()
    {
        var (ana, _) = await AnaWithPhoneAsync("fcm", "fcm-token-4");
        await using var _ = ana;
        _fcm.ReplyForToken("fcm-token-4", FcmReply.ThirdPartyAuthError());

        var sent = await ana.NotifyAsync();
        var details = await WaitForAsync(ana.App, sent.NotificationId, d => d.Deliveries.Any(x => x.Status == DeliveryStatus.Failed), "the push to fail");
        Assert.Equal("misconfigured", Assert.Single(details.Attempts).Outcome);

        using var http = _server.Http();
        var health = await http.GetStringAsync("/health/ready");
        Assert.Contains("Degraded", health, StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Single(_fcm.Requests);
    }

    [Fact]
    public async Task Notify_DeviceOfAnUnconfiguredProvider_IsPassedOverWithThatReason()
    {
        await using var server = new NotifyTestServer(new Dictionary<string, string?>
        {
            ["Channels:Fcm:ServiceAccountFile"] = _fcm.CreateServiceAccount(_secrets, "only-fcm").Path,
            ["Channels:Fcm:Endpoint"] = _fcm.BaseUri.ToString(),
        }, new Dictionary<string, string> { ["default.yaml"] = PushFirst }, time: _time);
        await using var ana = await Scenario.CreateAsync(server);
        await ana.App.RegisterDeviceAsync(ana.UserId, new DeviceRegistration
        {
            Platform = Platform.Ios, Push = new PushRegistration { Provider = "apns", Token = ApnsLoopbackServer.NewDeviceToken() },
        });

        var sent = await ana.NotifyAsync();
        var details = await ana.App.GetNotificationAsync(sent.NotificationId);
        Assert.Contains(details.Trace, t => t.Message.Contains("push provider apns is not configured", StringComparison.Ordinal));
        Assert.Empty(_apns.Received);
    }
}
