using System.Text.Json.Nodes;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Loopback.Apns;

namespace Notify.Channels.Tests.Apns;

/// <summary>What goes on the wire: path, headers and payload per priority, silence, clear, TTL and collapse key.</summary>
public sealed class ApnsProviderFormatTests
{
    [Fact]
    public async Task SendAsync_NormalAlert_PostsAlertOverHttp2WithHeadersAndPayload()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();
        var message = ApnsHarness.Alert();

        var result = await provider.SendAsync(message);

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        var r = Assert.Single(h.Server.Received);
        Assert.Equal("HTTP/2", r.Protocol);
        Assert.Equal("POST", r.Method);
        Assert.Equal("/3/device/" + message.Target.Token, r.Path);
        Assert.Equal("com.example.chat", r.Header("apns-topic"));
        Assert.Equal("alert", r.Header("apns-push-type"));
        Assert.Equal("10", r.Header("apns-priority"));
        Assert.Equal(ApnsHarness.Start.AddHours(2).ToUnixTimeSeconds().ToString(), r.Header("apns-expiration"));
        Assert.True(Guid.TryParseExact(r.Header("apns-id"), "D", out _));
        Assert.Null(r.Header("apns-collapse-id"));
        Assert.StartsWith("bearer ", r.Header("authorization"));
        Assert.Equal("application/json", r.Header("content-type"));
        Assert.Equal(r.ApnsId, result.MessageId);
        Assert.Equal(200, result.Status);

        var p = r.Payload!;
        var aps = p["aps"]!.AsObject();
        Assert.Equal("Ben", (string?)aps["alert"]!["title"]);
        Assert.Equal("Hi Ana, lunch at 1?", (string?)aps["alert"]!["body"]);
        Assert.Equal("default", (string?)aps["sound"]);
        Assert.Equal("active", (string?)aps["interruption-level"]);
        Assert.Equal("chat.message", (string?)aps["thread-id"]);
        Assert.Equal("ntf_01", (string?)p["notificationId"]);
        Assert.Equal("chat.message", (string?)p["category"]);
        Assert.Equal("t_9", (string?)p["data"]!["threadId"]);
        Assert.Equal(3, (int?)p["data"]!["unread"]);
    }

    [Theory]
    [InlineData(Priority.Low, "5", "active")]
    [InlineData(Priority.Normal, "10", "active")]
    [InlineData(Priority.High, "10", "time-sensitive")]
    [InlineData(Priority.Critical, "10", "critical")]
    public async Task SendAsync_Priority_SetsApnsPriorityAndInterruptionLevel(Priority priority, string apnsPriority, string level)
    {
        await using var h = await ApnsHarness.StartAsync();

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert(priority: priority));

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        var r = Assert.Single(h.Server.Received);
        Assert.Equal(apnsPriority, r.Header("apns-priority"));
        Assert.Equal(level, (string?)r.Payload!["aps"]!["interruption-level"]);
    }

    [Fact]
    public async Task SendAsync_Critical_SendsCriticalSoundDictionary()
    {
        await using var h = await ApnsHarness.StartAsync();

        await h.CreateProvider().SendAsync(ApnsHarness.Alert(priority: Priority.Critical));

        var sound = Assert.IsType<JsonObject>(Assert.Single(h.Server.Received).Payload!["aps"]!["sound"]);
        Assert.Equal(1, (int?)sound["critical"]);
        Assert.Equal("default", (string?)sound["name"]);
        Assert.Equal(1.0, (double?)sound["volume"]);
    }

    [Fact]
    public async Task SendAsync_Silent_SendsPassiveWithoutSoundAtPriority5()
    {
        await using var h = await ApnsHarness.StartAsync();

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert(priority: Priority.High, silent: true));

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        var r = Assert.Single(h.Server.Received);
        Assert.Equal("5", r.Header("apns-priority"));
        Assert.Equal("alert", r.Header("apns-push-type"));
        var aps = r.Payload!["aps"]!.AsObject();
        Assert.Equal("passive", (string?)aps["interruption-level"]);
        Assert.False(aps.ContainsKey("sound"));
        Assert.Equal("Hi Ana, lunch at 1?", (string?)aps["alert"]!["body"]);
    }

    [Fact]
    public async Task SendAsync_Clear_SendsBackgroundPushWithContentAvailableAtPriority5()
    {
        await using var h = await ApnsHarness.StartAsync();

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Clear(reason: "dismissed"));

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        var r = Assert.Single(h.Server.Received);
        Assert.Equal("background", r.Header("apns-push-type"));
        Assert.Equal("5", r.Header("apns-priority"));
        var p = r.Payload!;
        Assert.Equal(1, (int?)p["aps"]!["content-available"]);
        Assert.Single(p["aps"]!.AsObject());
        Assert.Equal("clear", (string?)p["type"]);
        Assert.Equal("ntf_01", (string?)p["notificationId"]);
        Assert.Equal("dismissed", (string?)p["reason"]);
        Assert.False(p.ContainsKey("data"));
    }

    [Fact]
    public async Task SendAsync_CollapseKey_SendsCollapseIdHeader()
    {
        await using var h = await ApnsHarness.StartAsync();

        await h.CreateProvider().SendAsync(ApnsHarness.Alert(collapseKey: "chat:t_9"));

        Assert.Equal("chat:t_9", Assert.Single(h.Server.Received).Header("apns-collapse-id"));
    }

    [Fact]
    public async Task SendAsync_CollapseKeyOver64Bytes_RejectedWithoutSending()
    {
        await using var h = await ApnsHarness.StartAsync();

        // 22 three-byte characters: 22 characters, 66 bytes.
        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert(collapseKey: new string('€', 22)));

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.StartsWith("BadCollapseId", result.Reason);
        Assert.Null(result.Status);
        Assert.Empty(h.Server.Received);
    }

    [Fact]
    public async Task SendAsync_PayloadOver4096Bytes_RejectedWithoutSending()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();

        var result = await provider.SendAsync(ApnsHarness.Alert(body: new string('x', 4000), data: new JsonObject { ["blob"] = new string('y', 200) }));

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.StartsWith("PayloadTooLarge", result.Reason);
        Assert.Empty(h.Server.Received);
        // The same message a little smaller passes: the limit is where APNs puts it, not lower.
        Assert.Equal(SendOutcome.Sent, (await provider.SendAsync(ApnsHarness.Alert(body: new string('x', 3700)))).Outcome);
    }

    [Fact]
    public async Task SendAsync_NonAsciiText_CountsUtf8BytesNotEscapes()
    {
        await using var h = await ApnsHarness.StartAsync();

        // 1,300 × "é" is 2,600 UTF-8 bytes but 7,800 as \u00e9 escapes: it must fit.
        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert(body: new string('é', 1300)));

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        Assert.Equal(new string('é', 1300), (string?)Assert.Single(h.Server.Received).Payload!["aps"]!["alert"]!["body"]);
    }

    [Fact]
    public async Task SendAsync_RegistrationWithoutTopic_UsesOptionsTopic()
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Options.Topic = "com.example.default";

        await h.CreateProvider().SendAsync(ApnsHarness.Alert(topic: null));

        Assert.Equal("com.example.default", Assert.Single(h.Server.Received).Header("apns-topic"));
    }

    [Fact]
    public async Task SendAsync_NoTopicAnywhere_MisconfiguredWithoutSending()
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Options.Topic = null;

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert(topic: null));

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Contains("Channels:Apns:Topic", result.Reason);
        Assert.Empty(h.Server.Received);
    }

    [Fact]
    public async Task SendAsync_Repeat_CarriesRepeatNumber()
    {
        await using var h = await ApnsHarness.StartAsync();
        var message = ApnsHarness.Alert();
        message = message with { Notification = message.Notification with { Repeat = 2 } };

        await h.CreateProvider().SendAsync(message);

        Assert.Equal(2, (int?)Assert.Single(h.Server.Received).Payload!["repeat"]);
    }
}
