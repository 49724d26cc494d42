using Notify.Engine.Channels;
using Notify.Loopback.Fcm;

namespace Notify.Channels.Tests.Fcm;

/// <summary>OAuth2 access tokens: fetched once, reused, refreshed on the injected clock, renewed after a 401.</summary>
public sealed class FcmAccessTokenTests
{
    [Fact]
    public async Task SendAsync_ManySends_OneTokenRequest()
    {
        await using var host = await FcmTestHost.StartAsync();

        for (var i = 0; i < 5; i++)
            FcmTestHost.AssertOutcome(SendOutcome.Sent, await host.Provider.SendAsync(FcmTestHost.Alert()));

        var token = Assert.Single(host.Server.TokenRequests);
        Assert.Equal(200, token.Status);
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", token.GrantType);
        Assert.Equal(host.Account.ClientEmail, token.Issuer);
        Assert.Equal("https://www.googleapis.com/auth/firebase.messaging", token.Scope);
        Assert.Single(host.Server.Requests.Select(r => r.Token).Distinct());
    }

    [Fact]
    public async Task SendAsync_ClockPastExpiry_FetchesNewToken()
    {
        await using var host = await FcmTestHost.StartAsync();
        await host.Provider.SendAsync(FcmTestHost.Alert());

        host.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        Assert.Equal(2, host.Server.TokenRequests.Count);
        Assert.All(host.Server.Requests, r => Assert.Equal(200, r.Status)); // renewed before sending, not after a 401
        var tokens = host.Server.Requests.Select(r => r.Token).ToList();
        Assert.NotEqual(tokens[0], tokens[1]);
    }

    [Fact]
    public async Task SendAsync_ClockShortlyBeforeExpiry_RefreshesBeforeTheTokenDies()
    {
        await using var host = await FcmTestHost.StartAsync();
        await host.Provider.SendAsync(FcmTestHost.Alert());

        // 2 minutes left of 3599 s: still valid on the server, but the library renews ahead of expiry.
        host.Time.Advance(TimeSpan.FromSeconds(3599) - TimeSpan.FromMinutes(2));
        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        await host.Server.WaitForTokenRequestsAsync(2);
        Assert.Equal(2, host.Server.TokenRequests.Count(t => t.Status == 200));
    }

    [Fact]
    public async Task SendAsync_CachedTokenRevoked_RefreshesOnceAndSends()
    {
        await using var host = await FcmTestHost.StartAsync();
        await host.Provider.SendAsync(FcmTestHost.Alert());
        host.Server.RevokeAccessTokens();

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Sent, result);
        Assert.Equal(2, host.Server.TokenRequests.Count);
        Assert.Equal([200, 401, 200], host.Server.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task SendAsync_401EvenWithFreshToken_MisconfiguredAfterOneRetry()
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Server.ReplyToNext(3, FcmReply.Unauthenticated());

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Misconfigured, result);
        Assert.Equal(401, result.Status);
        Assert.StartsWith("UNAUTHENTICATED", result.Reason);
        Assert.Equal(2, host.Server.Requests.Count);
        Assert.Equal(2, host.Server.TokenRequests.Count);
    }

    [Fact]
    public async Task SendAsync_TokenEndpointInvalidGrant_MisconfiguredWithEndpointText()
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Server.FailTokenRequests(1, 400, "invalid_grant", "Invalid JWT Signature.");

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Misconfigured, result);
        Assert.Equal(400, result.Status);
        Assert.Contains("invalid_grant: Invalid JWT Signature.", result.Reason);
        Assert.Empty(host.Server.Requests);
    }

    [Fact]
    public async Task SendAsync_TokenEndpointUnavailable_Transient()
    {
        await using var host = await FcmTestHost.StartAsync();
        host.Server.FailTokenRequests(1, 503, "temporarily_unavailable", "Try again later.");

        var result = await host.Provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Transient, result);
        Assert.Equal(503, result.Status);
        Assert.Single(host.Server.TokenRequests); // no retries hidden inside the library
    }

    [Fact]
    public async Task SendAsync_KeyUnknownToTokenEndpoint_MisconfiguredAccountNotFound()
    {
        await using var host = await FcmTestHost.StartAsync();
        // A key the server never registered: same token_uri, different account.
        var stranger = FcmServiceAccount.Create(Path.GetDirectoryName(host.Account.Path)!, host.Server.TokenUri, "notify-test-stranger");
        using var provider = new Channels.Fcm.FcmProvider(
            new Channels.Fcm.FcmOptions { ServiceAccountFile = stranger.Path, ProjectId = "notify-test", Endpoint = host.Server.BaseUri },
            host.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<Channels.Fcm.FcmProvider>.Instance);

        var result = await provider.SendAsync(FcmTestHost.Alert());

        FcmTestHost.AssertOutcome(SendOutcome.Misconfigured, result);
        Assert.Contains("invalid_grant: Invalid grant: account not found", result.Reason);
    }
}
