using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Notify.Channels.Fcm;
using Notify.Engine.Channels;
using Notify.Loopback.Fcm;

namespace Notify.Channels.Tests.Fcm;

/// <summary>Every documented FCM error, answered by the loopback with Google's body, classified.</summary>
public sealed class FcmErrorClassificationTests
{
    public static TheoryData<string, SendOutcome, int, string> ScriptedErrors => new()
    {
        { nameof(FcmReply.Unregistered), SendOutcome.TokenInvalid, 404, "UNREGISTERED" },
        { nameof(FcmReply.InvalidToken), SendOutcome.TokenInvalid, 400, "INVALID_ARGUMENT: message.token" },
        { nameof(FcmReply.SenderIdMismatch), SendOutcome.TokenInvalid, 403, "SENDER_ID_MISMATCH" },
        { nameof(FcmReply.ThirdPartyAuthError), SendOutcome.Misconfigured, 401, "THIRD_PARTY_AUTH_ERROR: Auth error from APNS or Web Push Service" },
        { nameof(FcmReply.Unavailable), SendOutcome.Transient, 503, "UNAVAILABLE" },
        { nameof(FcmReply.Internal), SendOutcome.Transient, 500, "INTERNAL" },
        { nameof(FcmReply.QuotaExceeded), SendOutcome.Transient, 429, "QUOTA_EXCEEDED" },
    };

    private static FcmReply Reply(string name) => name switch
    {
        nameof(FcmReply.Unregistered) => FcmReply.Unregistered(),
        nameof(FcmReply.InvalidToken) => FcmReply.InvalidToken(),
        nameof(FcmReply.SenderIdMismatch) => FcmReply.SenderIdMismatch(),
        nameof(FcmReply.ThirdPartyAuthError) => FcmReply.ThirdPartyAuthError(),
        nameof(FcmReply.Unavailable) => FcmReply.Unavailable(),
        nameof(FcmReply.Internal) => FcmReply.Internal(),
        nameof(FcmReply.QuotaExceeded) => FcmReply.QuotaExceeded(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(ScriptedErrors))]
    public async Task SendAsync_ScriptedErrorForToken_Classified(string reply, SendOutcome outcome, int status, string reason)
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Server.ReplyForToken("dead-token", Reply(reply));

        var result = await host.Provider.SendAsync(FcmTestHost.Alert(token: "dead-token"));

        FcmTestHost.AssertOutcome(outcome, result);
        Assert.Equal("fcm", result.Provider);
        Assert.Equal(status, result.Status);
        Assert.Equal(reason, result.Reason);
        Assert.Single(host.Server.Requests); // a 401 THIRD_PARTY_AUTH_ERROR is not mistaken for a stale token
    }

    [Fact]
    public async Task SendAsync_OtherInvalidArgument_RejectedWithFieldAndMessage()
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Server.ReplyToNext(1, FcmReply.InvalidArgument("message.android.ttl", "Bad ttl"));

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Rejected, result);
        Assert.Equal(400, result.Status);
        Assert.Contains("INVALID_ARGUMENT", result.Reason);
        Assert.Contains("message.android.ttl", result.Reason);
    }

    [Fact]
    public async Task SendAsync_RetryAfterSeconds_Carried()
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Server.ReplyToNext(1, FcmReply.Unavailable(retryAfter: "120"));

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Transient, result);
        Assert.Equal(TimeSpan.FromSeconds(120), result.RetryAfter);
    }

    [Fact]
    public async Task SendAsync_RetryAfterHttpDate_MeasuredFromInjectedClock()
    {
        await using var host = await FcmTestHost.StartAsync();
        var at = (FcmTestHost.Start + TimeSpan.FromSeconds(90)).ToString("R", CultureInfo.InvariantCulture);
        host.Server.ReplyToNext(1, FcmReply.Internal(retryAfter: at));

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Transient, result);
        Assert.Equal(TimeSpan.FromSeconds(90), result.RetryAfter);
    }

    [Fact]
    public async Task SendAsync_QuotaExceededWithoutRetryAfter_BacksOffAMinute()
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Server.ReplyToNext(1, FcmReply.QuotaExceeded());

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        Assert.Equal(TimeSpan.FromMinutes(1), result.RetryAfter);
    }

    [Fact]
    public async Task SendAsync_OutageThenRecovery_TransientThenSent()
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Server.StartOutage(retryAfter: "30");

        var during = await host.Provider.SendAsync(FcmTestHost.Alert());
        host.Server.EndOutage();
        var after = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Transient, during);
        Assert.Equal(503, during.Status);
        Assert.Equal(TimeSpan.FromSeconds(30), during.RetryAfter);
        FcmTestHost.AssertOutcome(SendOutcome.Sent, after);
    }

    [Fact]
    public async Task SendAsync_WrongProject_MisconfiguredPermissionDenied()
    {
        await using var host = await FcmTestHost.StartAsync(o => o.ProjectId = "someone-elses-project");

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Misconfigured, result);
        Assert.Equal(403, result.Status);
        Assert.StartsWith("PERMISSION_DENIED", result.Reason);
        Assert.Equal("someone-elses-project", Assert.Single(host.Server.Requests).ProjectId);
    }

    [Fact]
    public async Task SendAsync_ServerHoldsPastTimeout_TransientTimeout()
    {
        await using var host = await FcmTestHost.StartAsync(o => o.Timeout = TimeSpan.FromSeconds(5));
        await host.Provider.SendAsync(FcmTestHost.Alert()); // token fetched, connection warm
        host.Server.Hold();

        var send = host.Provider.SendAsync(FcmTestHost.Alert());
        await host.Server.WaitForArrivalsAsync(2);
        host.Time.Advance(TimeSpan.FromSeconds(6));
        var result = await send.WaitAsync(TimeSpan.FromSeconds(15));

        FcmTestHost.AssertOutcome(SendOutcome.Transient, result);
        Assert.Null(result.Status);
        Assert.StartsWith("timeout", result.Reason);
    }

    [Fact]
    public async Task SendAsync_NothingListening_TransientConnection()
    {
        await using var host = await FcmTestHost.StartAsync();
        var port = FreePort();
        using var provider = new FcmProvider(
            new FcmOptions { ServiceAccountFile = host.Account.Path, Endpoint = new Uri($"http://127.0.0.1:{port}") },
            host.Time, NullLogger<FcmProvider>.Instance);

        var result = await provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Transient, result);
        Assert.StartsWith("connection", result.Reason);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_Throws()
    {
        await using var host = await FcmTestHost.StartAsync();
        await host.Provider.SendAsync(FcmTestHost.Alert());
        host.Server.Hold();
        using var cts = new CancellationTokenSource();

        var send = host.Provider.SendAsync(FcmTestHost.Alert(), cts.Token);
        await host.Server.WaitForArrivalsAsync(2);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
