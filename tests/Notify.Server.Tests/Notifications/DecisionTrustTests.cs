using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Client.Devices;
using Notify.Engine.Learning;
using Notify.Loopback.Fcm;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Notifications;

/// <summary>
/// Issue 11 through the HTTP API of the real server (Kestrel, SQLite, a loopback FCM): the rule is the product team's word
/// (a learned model ranks, it never skips a step the rule did not say may be skipped), the device the user really uses
/// gets the push, presence ages, location and charging steps wait for the right moment, and quiet-hours changes release
/// what they held.
/// </summary>
public sealed class DecisionTrustTests : IAsyncLifetime
{
    private const string PushThenInApp = """
        name: default
        ttl: 2h
        steps:
          - to: best
            via: push
            wait: 2s
          - to: best
            via: inApp
        """;

    private readonly FakeTimeProvider _time = NotifyTestServer.NewClock();
    private readonly string _secrets = Directory.CreateTempSubdirectory("notify-trust-").FullName;
    private FcmLoopbackServer _fcm = null!;
    private readonly List<NotifyTestServer> _servers = [];

    public async Task InitializeAsync() => _fcm = await FcmLoopbackServer.StartAsync(_time);

    public async Task DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync();
        await _fcm.DisposeAsync();
        try { Directory.Delete(_secrets, recursive: true); } catch (IOException) { }
    }

    /// <summary>A server with push through the loopback FCM and the given rules (the shipped ones when none).</summary>
    private NotifyTestServer Server(IDictionary<string, string>? rules = null)
    {
        var account = _fcm.CreateServiceAccount(_secrets, "notify-test");
        rules ??= Directory.GetFiles(Path.Combine(RepoRoot(), "rules"), "*.yaml").ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        var server = new NotifyTestServer(new Dictionary<string, string?>
        {
            ["Channels:Fcm:ServiceAccountFile"] = account.Path,
            ["Channels:Fcm:Endpoint"] = _fcm.BaseUri.ToString(),
        }, rules, time: _time);
        _servers.Add(server);
        return server;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Notify.sln"))) return dir.FullName;
        throw new InvalidOperationException("Notify.sln not found above the test binaries");
    }

    private static async Task<string> PhoneWithPushAsync(Scenario ana, string name = "phone", string token = "phone-token")
    {
        var result = await ana.App.RegisterDeviceAsync(ana.UserId, new DeviceRegistration
        {
            Platform = Platform.Android, Name = name, Push = new PushRegistration { Provider = "fcm", Token = token },
        });
        ana.Devices[name] = (result.DeviceId, result.DeviceToken);
        return result.DeviceId;
    }

    /// <summary>A report over plain HTTP, as a phone in a pocket sends it (no realtime connection).</summary>
    private static async Task ReportAsync(Scenario ana, string device, DeviceStateReport report)
    {
        await using var client = new NotifyDeviceClient(ana.Server.BaseAddress, ana.Devices[device].Token, new NotifyDeviceClientOptions { DeviceId = ana.Id(device) });
        await client.ReportStateOverHttpAsync(report);
    }

    /// <summary>A learned model that is sure nobody responds to a push.</summary>
    private sealed class PushIsHopeless : IResponseModel
    {
        public double Score(in ResponseFeatures f) => f.Channel == "push" ? 0.05 : 0.9;
        public string Description => "test: push hopeless";
    }

    [Theory]
    [InlineData(null, "push")]       // the rule says nothing: the model only ranks, the push goes out
    [InlineData("20%", "inApp")]     // the rule opts in: the hopeless push step is passed over
    public async Task Notify_ModelScoresThePushLow_StepSkippedOnlyWhenTheRuleSaysSo(string? skipBelow, string channel)
    {
        var rule = (skipBelow is null ? "" : $"skipBelow: {skipBelow}\n") + PushThenInApp;
        var server = Server(new Dictionary<string, string> { ["default.yaml"] = rule });
        server.Services.GetRequiredService<ResponseScoring>().Model = new PushIsHopeless();
        var ana = await Scenario.CreateAsync(server);
        await PhoneWithPushAsync(ana);
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await using var laptop = await ana.ConnectAsync("laptop", Presence.Active);

        var sent = await ana.NotifyAsync("comment");

        Assert.Equal(channel == "push" ? Channel.Push : Channel.InApp, sent.Decision!.Channel);
        var details = await ana.App.GetNotificationAsync(sent.NotificationId);
        if (channel == "push")
        {
            Assert.Equal("phone-token", (await _fcm.WaitForRequestsAsync(1)).Single().DeviceToken);
            Assert.DoesNotContain(details.Trace, t => t.Kind == "passedOver" && t.Message.Contains("learned response"));
        }
        else Assert.Contains(details.Trace, t => t.Kind == "passedOver" && t.Message.Contains("skipBelow 20"));
    }

    [Fact]
    public async Task Notify_PushGoesToThePhoneUsedAMinuteAgo_NotTheTabletOnlineButUnusedForDays()
    {
        var server = Server(new Dictionary<string, string> { ["default.yaml"] = PushThenInApp });
        var ana = await Scenario.CreateAsync(server);
        await PhoneWithPushAsync(ana, "tablet", "tablet-token");
        await using (var tablet = await ana.ConnectAsync("tablet", Presence.Active)) { } // last used now...
        _time.Advance(TimeSpan.FromDays(3));                                                // ...three days ago
        await using var tabletOnline = await ana.ConnectAsync("tablet");                  // online on Wi-Fi, unused
        await tabletOnline.ReportStateAsync(new DeviceStateReport { Connectivity = new ConnectivityState { Type = ConnectivityType.Wifi } });
        await tabletOnline.PingAsync();
        await PhoneWithPushAsync(ana);
        await ReportAsync(ana, "phone", new DeviceStateReport { Presence = Presence.Active, Foreground = true });
        _time.Advance(TimeSpan.FromMinutes(1));
        await ReportAsync(ana, "phone", new DeviceStateReport { Presence = Presence.Idle, Foreground = false }); // in the pocket

        var sent = await ana.NotifyAsync("comment");

        Assert.Equal(ana.Id("phone"), sent.Decision!.DeviceId);
        Assert.Equal("phone-token", (await _fcm.WaitForRequestsAsync(1)).Single().DeviceToken);
    }

    [Fact]
    public async Task Notify_DesktopActive40MinutesAgo_IsIdleNow_ThePhoneInHandGetsThePush()
    {
        var server = Server(); // the shipped rules: mention is in-app on the device in use, else a push to the phone in use
        var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("desktop", Platform.Desktop);
        await using var desktop = await ana.ConnectAsync("desktop", Presence.Active);
        _time.Advance(TimeSpan.FromMinutes(40));
        await PhoneWithPushAsync(ana);
        await ReportAsync(ana, "phone", new DeviceStateReport { Presence = Presence.Active, Foreground = false });
        _time.Advance(TimeSpan.FromSeconds(20));

        var sent = await ana.NotifyAsync("mention");

        Assert.Equal((ana.Id("phone"), (Channel?)Channel.Push), (sent.Decision!.DeviceId, sent.Decision.Channel));
        var details = await ana.App.GetNotificationAsync(sent.NotificationId);
        Assert.Contains(details.Trace, t => t.Kind == "passedOver" && t.DeviceId == ana.Id("desktop") && t.Message.Contains("presence idle"));
    }

    [Fact]
    public async Task Notify_OfficeReminder_HeldWhileTheUserIsAway_DeliveredWhenThePhoneArrives()
    {
        var server = Server(); // rules/reminder.yaml: the office, 250 m
        var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("tablet", Platform.Ios);
        await using var tablet = await ana.ConnectAsync("tablet"); // left at the office, unused
        await tablet.ReportStateAsync(new DeviceStateReport { Location = new GeoLocation { Lat = 38.7224, Lon = -9.1392 } });
        await tablet.PingAsync();
        await ana.RegisterAsync("phone", Platform.Ios);
        await using var phone = await ana.ConnectAsync("phone", Presence.Active);
        await phone.ReportStateAsync(new DeviceStateReport { Presence = Presence.Active, Location = new GeoLocation { Lat = 38.7600, Lon = -9.1000 } });
        await phone.PingAsync();

        var sent = await ana.NotifyAsync("office-reminder");

        Assert.Equal(NotificationStatus.Held, sent.Status);
        var held = await ana.App.GetNotificationAsync(sent.NotificationId);
        Assert.Contains(held.Trace, t => t.Kind == "held" && t.Message.Contains("none of"));

        await phone.ReportStateAsync(new DeviceStateReport { Presence = Presence.Active, Location = new GeoLocation { Lat = 38.7222, Lon = -9.1394 } });
        var shown = await phone.WaitForNotificationAsync(n => n.Id == sent.NotificationId);
        Assert.Equal("office-reminder", shown.Category);
    }

    [Fact]
    public async Task Notify_Digest_ADesktopOnMainsOnEthernet_GetsItAtOnce()
    {
        var server = Server(); // rules/digest.yaml: until charging on Wi-Fi or Ethernet
        var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("pc", Platform.Desktop);
        await using var pc = await ana.ConnectAsync("pc");
        await pc.ReportStateAsync(new DeviceStateReport { Connectivity = new ConnectivityState { Type = ConnectivityType.Ethernet } });
        await pc.PingAsync();

        var sent = await ana.NotifyAsync("digest");

        Assert.Equal(ana.Id("pc"), sent.Decision!.DeviceId);
        await pc.WaitForNotificationAsync(n => n.Id == sent.NotificationId);
    }

    [Theory]
    [InlineData("windows")]
    [InlineData("snooze")]
    public async Task QuietHoursCleared_WhatTheyHeldIsDeliveredNow_NotAtTheOldEnd(string how)
    {
        var server = Server();
        var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await using var laptop = await ana.ConnectAsync("laptop", Presence.Active);
        using var http = server.Http(NotifyTestServer.AppKey);
        var quiet = how == "windows"
            ? (object)new { windows = new[] { new { days = new[] { "daily" }, from = "00:00", to = "23:59" } } }
            : new { snoozeUntil = _time.GetUtcNow().AddHours(8) };
        (await http.PutAsJsonAsync("/v1/users/ana/quiet-hours", quiet)).EnsureSuccessStatusCode();
        var sent = await ana.NotifyAsync("mention");
        Assert.Equal(NotificationStatus.Held, sent.Status);

        (await http.PutAsJsonAsync("/v1/users/ana/quiet-hours", new { windows = Array.Empty<object>() })).EnsureSuccessStatusCode();

        await laptop.WaitForNotificationAsync(n => n.Id == sent.NotificationId);
        var details = await ana.App.GetNotificationAsync(sent.NotificationId);
        Assert.Contains(details.Trace, t => t.Kind == "redecided" && t.Message.Contains("quiet hours changed"));
    }

    [Fact]
    public async Task QuietHoursMovedEarlier_ReleasedAtTheNewEnd()
    {
        var server = Server();
        var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await using var laptop = await ana.ConnectAsync("laptop", Presence.Active);
        using var http = server.Http(NotifyTestServer.AppKey);
        // 09:00 UTC is 09:00 in Lisbon in November: quiet until 18:00, then only until 10:00.
        (await http.PutAsJsonAsync("/v1/users/ana/quiet-hours", new { windows = new[] { new { days = new[] { "daily" }, from = "08:00", to = "18:00" } } })).EnsureSuccessStatusCode();
        var sent = await ana.NotifyAsync("mention");
        Assert.Equal(_time.GetUtcNow().AddHours(9), sent.Decision!.DeliverAt);

        (await http.PutAsJsonAsync("/v1/users/ana/quiet-hours", new { windows = new[] { new { days = new[] { "daily" }, from = "08:00", to = "10:00" } } })).EnsureSuccessStatusCode();
        Assert.Equal(NotificationStatus.Held, (await ana.App.GetNotificationAsync(sent.NotificationId)).Status);

        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(5));
        await laptop.WaitForNotificationAsync(n => n.Id == sent.NotificationId);
    }
}
