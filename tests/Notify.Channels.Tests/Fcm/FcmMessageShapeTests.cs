using System.Text;
using System.Text.Json.Nodes;
using Notify.Engine.Channels;
using Notify.Engine.Model;

namespace Notify.Channels.Tests.Fcm;

/// <summary>What reaches FCM for each kind of push, read back from the loopback (which also validated it).</summary>
public sealed class FcmMessageShapeTests
{
    [Fact]
    public async Task SendAsync_Alert_PostsNotificationDataAndPlatformBlocks()
    {
        await using var host = await FcmTestHost.StartAsync();
        var data = new JsonObject { ["buildId"] = 42, ["branch"] = "main", ["tags"] = new JsonArray("ci", "red"), ["gone"] = null };

        var result = await host.Provider.SendAsync(FcmTestHost.Alert(data: data, collapseKey: "build-42"));

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        var request = Assert.Single(host.Server.Requests);
        Assert.Equal(200, request.Status);
        Assert.Equal("notify-test", request.ProjectId);
        Assert.StartsWith("projects/notify-test/messages/", result.MessageId);
        var m = request.Message!;
        Assert.Equal("device-token-1", m["token"]!.GetValue<string>());
        Assert.Equal("Build failed", m["notification"]!["title"]!.GetValue<string>());
        Assert.Equal("Build 42 failed on main", m["notification"]!["body"]!.GetValue<string>());
        var d = m["data"]!.AsObject();
        Assert.Equal("42", d["buildId"]!.GetValue<string>());
        Assert.Equal("main", d["branch"]!.GetValue<string>());
        Assert.Equal("[\"ci\",\"red\"]", d["tags"]!.GetValue<string>());
        Assert.False(d.ContainsKey("gone"));
        Assert.Equal("notification", d["type"]!.GetValue<string>());
        Assert.Equal("ntf_1", d["notificationId"]!.GetValue<string>());
        Assert.Equal("build", d["category"]!.GetValue<string>());
        Assert.Equal("normal", d["priority"]!.GetValue<string>());
        Assert.Equal("normal", m["android"]!["priority"]!.GetValue<string>());
        Assert.Equal("3600s", m["android"]!["ttl"]!.GetValue<string>());
        Assert.Equal("build-42", m["android"]!["collapse_key"]!.GetValue<string>());
        var headers = m["apns"]!["headers"]!;
        Assert.Equal("10", headers["apns-priority"]!.GetValue<string>());
        Assert.Equal("alert", headers["apns-push-type"]!.GetValue<string>());
        Assert.Equal((FcmTestHost.Start.ToUnixTimeSeconds() + 3600).ToString(), headers["apns-expiration"]!.GetValue<string>());
        Assert.Equal("build-42", headers["apns-collapse-id"]!.GetValue<string>());
        var aps = m["apns"]!["payload"]!["aps"]!;
        Assert.Equal("default", aps["sound"]!.GetValue<string>());
        Assert.Equal("active", aps["interruption-level"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendAsync_Alert_SendsBearerTokenAndJsonContentType()
    {
        await using var host = await FcmTestHost.StartAsync();

        await host.Provider.SendAsync(FcmTestHost.Alert());

        var request = Assert.Single(host.Server.Requests);
        Assert.StartsWith("ya29.loopback-", request.Token);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
    }

    [Theory]
    [InlineData(Priority.Low, "normal", "5", "passive", "low")]
    [InlineData(Priority.Normal, "normal", "10", "active", "normal")]
    [InlineData(Priority.High, "high", "10", "time-sensitive", "high")]
    [InlineData(Priority.Critical, "high", "10", "time-sensitive", "critical")]
    public async Task SendAsync_EachPriority_MapsAndroidAndApnsPriority(Priority priority, string android, string apns, string interruption, string dataPriority)
    {
        await using var host = await FcmTestHost.StartAsync();

        var result = await host.Provider.SendAsync(FcmTestHost.Alert(priority: priority));

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        var m = Assert.Single(host.Server.Requests).Message!;
        Assert.Equal(android, m["android"]!["priority"]!.GetValue<string>());
        Assert.Equal(apns, m["apns"]!["headers"]!["apns-priority"]!.GetValue<string>());
        Assert.Equal(interruption, m["apns"]!["payload"]!["aps"]!["interruption-level"]!.GetValue<string>());
        Assert.Equal(dataPriority, m["data"]!["priority"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendAsync_SilentAlert_HasNoSoundAndPassiveInterruption()
    {
        await using var host = await FcmTestHost.StartAsync();

        var result = await host.Provider.SendAsync(FcmTestHost.Alert(priority: Priority.High, silent: true));

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        var m = Assert.Single(host.Server.Requests).Message!;
        var aps = m["apns"]!["payload"]!["aps"]!.AsObject();
        Assert.False(aps.ContainsKey("sound"));
        Assert.Equal("passive", aps["interruption-level"]!.GetValue<string>());
        Assert.Equal("true", m["data"]!["silent"]!.GetValue<string>());
        Assert.False(m["android"]!["notification"]!["default_sound"]!.GetValue<bool>());
        Assert.Equal("Build failed", m["notification"]!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendAsync_Clear_IsDataOnlyWithBackgroundApnsPriority5()
    {
        await using var host = await FcmTestHost.StartAsync();

        var result = await host.Provider.SendAsync(FcmTestHost.Clear(reason: "dismissed"));

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        var m = Assert.Single(host.Server.Requests).Message!;
        Assert.False(m.ContainsKey("notification"));
        var d = m["data"]!.AsObject();
        Assert.Equal(3, d.Count);
        Assert.Equal("clear", d["type"]!.GetValue<string>());
        Assert.Equal("ntf_1", d["notificationId"]!.GetValue<string>());
        Assert.Equal("dismissed", d["reason"]!.GetValue<string>());
        Assert.Equal("normal", m["android"]!["priority"]!.GetValue<string>());
        Assert.Equal("5", m["apns"]!["headers"]!["apns-priority"]!.GetValue<string>());
        Assert.Equal("background", m["apns"]!["headers"]!["apns-push-type"]!.GetValue<string>());
        var aps = m["apns"]!["payload"]!["aps"]!.AsObject();
        Assert.Equal(1, aps["content-available"]!.GetValue<int>());
        Assert.False(aps.ContainsKey("sound"));
    }

    [Theory]
    [InlineData(90, "90s")]
    [InlineData(-30, "0s")] // already expired: deliver now or never
    [InlineData(60 * 24 * 60 * 60, "2419200s")] // 60 days: FCM's cap is 28
    public async Task SendAsync_ExpiresAt_BecomesClampedTtl(int expiresInSeconds, string ttl)
    {
        await using var host = await FcmTestHost.StartAsync();

        var result = await host.Provider.SendAsync(FcmTestHost.Alert(expiresIn: TimeSpan.FromSeconds(expiresInSeconds)));

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        Assert.Equal(ttl, Assert.Single(host.Server.Requests).Message!["android"]!["ttl"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendAsync_TtlIsMeasuredFromTheInjectedClock()
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Time.Advance(TimeSpan.FromMinutes(20));

        await host.Provider.SendAsync(FcmTestHost.Alert());

        Assert.Equal("2400s", Assert.Single(host.Server.Requests).Message!["android"]!["ttl"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendAsync_WithoutCollapseKey_SendsNoCollapseFields()
    {
        await using var host = await FcmTestHost.StartAsync();

        await host.Provider.SendAsync(FcmTestHost.Alert());

        var m = Assert.Single(host.Server.Requests).Message!;
        Assert.False(m["android"]!.AsObject().ContainsKey("collapse_key"));
        Assert.False(m["apns"]!["headers"]!.AsObject().ContainsKey("apns-collapse-id"));
    }

    [Fact]
    public async Task SendAsync_PayloadOver4096Bytes_RejectedWithoutReachingServer()
    {
        await using var host = await FcmTestHost.StartAsync();

        var result = await host.Provider.SendAsync(FcmTestHost.Alert(body: new string('é', 2100))); // 4200 bytes of UTF-8

        FcmTestHost.AssertOutcome(SendOutcome.Rejected, result);
        Assert.Equal("payload-too-large", result.Reason);
        Assert.Empty(host.Server.Requests);
        Assert.Empty(host.Server.TokenRequests);
    }

    [Fact]
    public async Task SendAsync_PayloadJustUnderLimit_IsSentAndAcceptedByServer()
    {
        await using var host = await FcmTestHost.StartAsync();
        var probe = FcmTestHost.Alert(body: "");
        var baseSize = Channels.Fcm.FcmMessageBuilder.Build(probe, FcmTestHost.Start).PayloadBytes;

        var result = await host.Provider.SendAsync(FcmTestHost.Alert(body: new string('x', 4096 - baseSize)));

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        var request = Assert.Single(host.Server.Requests);
        var counted = request.Message!.DeepClone().AsObject();
        counted.Remove("token");
        Assert.Equal(4096, Encoding.UTF8.GetByteCount(counted.ToJsonString()));
    }

    [Theory]
    [InlineData("from")]
    [InlineData("google.sent_time")]
    [InlineData("gcm.notification")]
    [InlineData("message_type")]
    public async Task SendAsync_ReservedDataKey_RejectedWithReason(string key)
    {
        await using var host = await FcmTestHost.StartAsync();

        var result = await host.Provider.SendAsync(FcmTestHost.Alert(data: new JsonObject { [key] = "x" }));

        FcmTestHost.AssertOutcome(SendOutcome.Rejected, result);
        Assert.StartsWith("reserved-data-key", result.Reason);
        Assert.Contains(key, result.Reason);
        Assert.Empty(host.Server.Requests);
    }
}
