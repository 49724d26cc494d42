using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Channels;
using Notify.Loopback.Apns;

namespace Notify.Channels.Tests.Apns;

/// <summary>The provider token: its shape, its reuse, its refresh on the clock and on <c>ExpiredProviderToken</c>.</summary>
public sealed class ApnsProviderTokenTests
{
    [Fact]
    public async Task SendAsync_ProviderToken_IsEs256WithKeyIdTeamAndIssuedAt()
    {
        await using var h = await ApnsHarness.StartAsync();

        await h.CreateProvider().SendAsync(ApnsHarness.Alert());

        var jwt = Assert.Single(h.Server.Received).ProviderToken!;
        Assert.DoesNotContain('=', jwt);
        var (header, claims) = ApnsHarness.DecodeJwt(jwt);
        Assert.Equal("ES256", (string?)header["alg"]);
        Assert.Equal(h.Key.KeyId, (string?)header["kid"]);
        Assert.Equal(h.Key.TeamId, (string?)claims["iss"]);
        Assert.Equal(ApnsHarness.Start.ToUnixTimeSeconds(), (long?)claims["iat"]);
    }

    [Fact]
    public async Task SendAsync_WithinTokenLifetime_ReusesOneToken()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();

        for (var i = 0; i < 3; i++) await provider.SendAsync(ApnsHarness.Alert());
        h.Clock.Advance(TimeSpan.FromMinutes(39));
        await provider.SendAsync(ApnsHarness.Alert());

        Assert.Equal(4, h.Server.Delivered.Count);
        Assert.Equal(1, h.Server.DistinctProviderTokens);
        Assert.Equal(1, provider.ProviderToken.Minted);
    }

    [Fact]
    public async Task SendAsync_AfterTokenLifetime_SignsNewToken()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();
        await provider.SendAsync(ApnsHarness.Alert());

        h.Clock.Advance(TimeSpan.FromMinutes(40));
        await provider.SendAsync(ApnsHarness.Alert());
        await provider.SendAsync(ApnsHarness.Alert());

        var tokens = h.Server.Delivered.Select(r => r.ProviderToken).ToList();
        Assert.Equal(3, tokens.Count);
        Assert.NotEqual(tokens[0], tokens[1]);
        Assert.Equal(tokens[1], tokens[2]);
        Assert.Equal(ApnsHarness.Start.AddMinutes(40).ToUnixTimeSeconds(), (long?)ApnsHarness.DecodeJwt(tokens[1]!).Claims["iat"]);
    }

    [Fact]
    public async Task SendAsync_ExpiredProviderTokenOnce_RenewsAndSucceeds()
    {
        await using var h = await ApnsHarness.StartAsync();
        var provider = h.CreateProvider();
        await provider.SendAsync(ApnsHarness.Alert());
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        h.Server.ScriptNext(ApnsReply.ExpiredProviderToken);

        var result = await provider.SendAsync(ApnsHarness.Alert());

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        var received = h.Server.Received;
        Assert.Equal(3, received.Count);
        Assert.Equal("ExpiredProviderToken", received[1].Reason);
        Assert.Equal(received[0].ProviderToken, received[1].ProviderToken);
        Assert.NotEqual(received[1].ProviderToken, received[2].ProviderToken);
        Assert.Equal(received[1].Header("apns-id"), received[2].Header("apns-id"));
        Assert.Equal(2, provider.ProviderToken.Minted);
    }

    [Fact]
    public async Task SendAsync_ExpiredProviderTokenTwice_MisconfiguredAfterOneRetry()
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Server.ScriptNext(ApnsReply.ExpiredProviderToken, count: 5);

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert());

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Equal(403, result.Status);
        Assert.Equal("ExpiredProviderToken", result.Reason);
        Assert.Equal(2, h.Server.Received.Count);
    }

    [Fact]
    public async Task SendAsync_ManyConcurrentSendsSeeTokenExpire_OneNewTokenSigned()
    {
        // The server's clock runs 61 minutes ahead: the first token (iat = start) is an hour old to it, while the
        // adapter, 30 minutes in, still trusts its cache. A renewed token (iat = start + 30 min) passes.
        var serverClock = new FakeTimeProvider(ApnsHarness.Start);
        await using var h = await ApnsHarness.StartAsync(serverClock);
        var provider = h.CreateProvider();
        await provider.SendAsync(ApnsHarness.Alert());
        h.Clock.Advance(TimeSpan.FromMinutes(30));
        serverClock.Advance(TimeSpan.FromMinutes(61));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => provider.SendAsync(ApnsHarness.Alert())));

        Assert.All(results, r => Assert.Equal(SendOutcome.Sent, r.Outcome));
        Assert.Equal(2, provider.ProviderToken.Minted);
        Assert.Equal(2, h.Server.DistinctProviderTokens);
        Assert.Contains(h.Server.Received, r => r.Reason == "ExpiredProviderToken");
    }

    [Fact]
    public async Task SendAsync_KeyNotTrustedByApns_MisconfiguredInvalidProviderToken()
    {
        await using var h = await ApnsHarness.StartAsync();
        // A key the server was never told about, under the same key id: the signature does not verify.
        var (stranger, _) = ApnsSigningKey.Create(Path.Combine(h.Directory, "stranger"), h.Key.TeamId, h.Key.KeyId);
        h.Options.PrivateKeyFile = stranger.PrivateKeyFile;

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert());

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Equal(403, result.Status);
        Assert.Equal("InvalidProviderToken", result.Reason);
        Assert.Single(h.Server.Received);
    }

    [Fact]
    public async Task SendAsync_WrongTeamId_MisconfiguredInvalidProviderToken()
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Options.TeamId = "OTHERTEAM1";

        var result = await h.CreateProvider().SendAsync(ApnsHarness.Alert());

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Equal("InvalidProviderToken", result.Reason);
    }
}
