using System.Net;
using System.Net.Sockets;
using Notify.Engine.Channels;
using Notify.Loopback.Apns;

namespace Notify.Channels.Tests.Apns;

/// <summary>Every APNs reply, and every way of getting none, becomes the outcome the dispatcher acts on.</summary>
public sealed class ApnsProviderClassificationTests
{
    public static TheoryData<string, SendOutcome, int, int?> Replies => new()
    {
        { "Unregistered", SendOutcome.TokenInvalid, 410, null },
        { "ExpiredToken", SendOutcome.TokenInvalid, 410, null },
        { "BadDeviceToken", SendOutcome.TokenInvalid, 400, null },
        { "DeviceTokenNotForTopic", SendOutcome.TokenInvalid, 400, null },
        { "BadCollapseId", SendOutcome.Rejected, 400, null },
        { "TopicDisallowed", SendOutcome.Rejected, 400, null },
        { "PayloadTooLarge", SendOutcome.Rejected, 413, null },
        { "InvalidProviderToken", SendOutcome.Misconfigured, 403, null },
        { "TooManyRequests", SendOutcome.Transient, 429, 30 },
        { "TooManyProviderTokenUpdates", SendOutcome.Transient, 429, null },
        { "InternalServerError", SendOutcome.Transient, 500, null },
        { "ServiceUnavailable", SendOutcome.Transient, 503, 120 },
        { "Shutdown", SendOutcome.Transient, 503, null },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public async Task SendAsync_ApnsError_ClassifiedWithStatusReasonAndRetryAfter(string reason, SendOutcome outcome, int status, int? retryAfterSeconds)
    {
        await using var h = await ApnsHarness.StartAsync();
        var message = ApnsHarness.Alert();
        var retryAfter = retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
        h.Server.ScriptToken(message.Target.Token, ApnsReply.Error(status, reason, retryAfter));

        var result = await h.CreateProvider().SendAsync(message);

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal("apns", result.Provider);
        Assert.Equal(status, result.Status);
        Assert.Equal(reason, result.Reason);
        Assert.Equal(retryAfter, result.RetryAfter);
        Assert.Single(h.Server.Received);
    }

    [Fact]
    public async Task SendAsync_TokenNotInApnsFormat_TokenInvalidFromServerValidation()
    {
        await using var h = await ApnsHarness.StartAsync();

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert(token: "f6e5d4c3b2a1"));

        Assert.Equal(SendOutcome.TokenInvalid, result.Outcome);
        Assert.Equal(400, result.Status);
        Assert.Equal("BadDeviceToken", result.Reason);
    }

    [Fact]
    public async Task SendAsync_OutageThenRecovery_TransientThenSent()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();
        h.Server.ScriptNext(ApnsReply.ServiceUnavailable(TimeSpan.FromSeconds(5)), count: 2);

        var first = await provider.SendAsync(ApnsHarness.Alert());
        var second = await provider.SendAsync(ApnsHarness.Alert());
        var third = await provider.SendAsync(ApnsHarness.Alert());

        Assert.Equal(SendOutcome.Transient, first.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(5), first.RetryAfter);
        Assert.Equal(SendOutcome.Transient, second.Outcome);
        Assert.Equal(SendOutcome.Sent, third.Outcome);
        Assert.Single(h.Server.Delivered);
    }

    [Fact]
    public async Task SendAsync_NoReplyWithinTimeout_Transient()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();
        h.Server.ScriptNext(ApnsReply.Hang);

        var send = provider.SendAsync(ApnsHarness.Alert());
        await h.Server.WaitForRequestsAsync(1);
        Assert.False(send.IsCompleted);
        h.Clock.Advance(h.Options.Timeout);
        var result = await send.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(SendOutcome.Transient, result.Outcome);
        Assert.Null(result.Status);
        Assert.StartsWith("Timeout", result.Reason);
    }

    [Fact]
    public async Task SendAsync_StreamReset_Transient()
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Server.ScriptNext(ApnsReply.Reset);

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert());

        Assert.Equal(SendOutcome.Transient, result.Outcome);
        Assert.Null(result.Status);
        Assert.StartsWith("ConnectionFailed", result.Reason);
    }

    [Fact]
    public async Task SendAsync_NothingListening_Transient()
    {
        await using var h = await ApnsHarness.StartAsync();
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        h.Options.Endpoint = new Uri($"http://127.0.0.1:{closedPort}/");

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert());

        Assert.Equal(SendOutcome.Transient, result.Outcome);
        Assert.StartsWith("ConnectionFailed", result.Reason);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_Throws()
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Server.ScriptNext(ApnsReply.Hang);
        using var cts = new CancellationTokenSource();

        var send = h.CreateProvider().SendAsync(ApnsHarness.Alert(), cts.Token);
        await h.Server.WaitForRequestsAsync(1);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
