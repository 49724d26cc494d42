using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;
using Google.Apis.Util;
using Notify.Engine.Channels;

namespace Notify.Channels.Fcm;

/// <summary>
/// OAuth2 access tokens for FCM from a service account, through Google.Apis.Auth: it signs the RS256 assertion,
/// posts it to the file's <c>token_uri</c>, caches the token and refreshes it before it expires, reading time from
/// our <see cref="TimeProvider"/> (so a fake clock drives expiry in tests).
/// </summary>
internal sealed class FcmAccessTokens
{
    public const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    private readonly GoogleCredential _credential;
    private readonly ServiceAccountCredential _account;

    public FcmAccessTokens(string serviceAccountJson, TimeProvider time, HttpMessageHandler? handler)
    {
        var parsed = CredentialFactory.FromJson<ServiceAccountCredential>(serviceAccountJson);
        // Rebuilt from what the file gave, to set what the JSON cannot: our clock, our handler, and no retries
        // inside the library (one attempt per send; the dispatcher retries).
        var account = new ServiceAccountCredential(new ServiceAccountCredential.Initializer(parsed.Id, parsed.TokenServerUrl)
        {
            ProjectId = parsed.ProjectId,
            Key = parsed.Key,
            KeyId = parsed.KeyId,
            Clock = new TimeProviderClock(time),
            HttpClientFactory = handler is null ? new HttpClientFactory() : new HandlerClientFactory(handler),
            DefaultExponentialBackOffPolicy = ExponentialBackOffPolicy.None,
        });
        _credential = account.ToGoogleCredential().CreateScoped(Scope);
        _account = (ServiceAccountCredential)_credential.UnderlyingCredential;
        ProjectId = parsed.ProjectId;
        TokenUri = parsed.TokenServerUrl;
    }

    public string? ProjectId { get; }
    public string TokenUri { get; }

    /// <summary>The cached token, refreshed first when it is about to expire.</summary>
    public Task<TokenOrFailure> GetAsync(CancellationToken ct) =>
        Guard(() => ((ITokenAccess)_credential).GetAccessTokenForRequestAsync(null, ct));

    /// <summary>A new token whatever the cache holds: FCM said the cached one is no good (401).</summary>
    public Task<TokenOrFailure> RefreshAsync(CancellationToken ct) =>
        Guard(async () =>
        {
            await _account.RequestAccessTokenAsync(ct).ConfigureAwait(false);
            return _account.Token.AccessToken;
        });

    private async Task<TokenOrFailure> Guard(Func<Task<string>> get)
    {
        try
        {
            return new TokenOrFailure(await get().ConfigureAwait(false), null);
        }
        catch (TokenResponseException e)
        {
            var status = e.StatusCode is { } s ? (int)s : (int?)null;
            var text = $"token endpoint {TokenUri}: {e.Error?.Error}: {e.Error?.ErrorDescription}";
            // invalid_grant and friends are our configuration (wrong key, revoked account, clock skew); a
            // token server that is down or throttling is passing trouble.
            var outcome = status is 408 or 429 or >= 500 ? SendOutcome.Transient : SendOutcome.Misconfigured;
            return new TokenOrFailure(null, new SendResult(outcome, FcmProvider.ProviderName, status, text));
        }
    }

    private sealed class TimeProviderClock(TimeProvider time) : IClock
    {
        public DateTime Now => time.GetLocalNow().DateTime;
        public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
    }

    /// <summary>Sends the token requests through the host's handler too (proxy, test handler).</summary>
    private sealed class HandlerClientFactory(HttpMessageHandler handler) : HttpClientFactory
    {
        protected override HttpMessageHandler CreateHandler(CreateHttpClientArgs args) => new NonDisposingHandler(handler);
    }

    /// <summary>The library disposes what <see cref="HttpClientFactory.CreateHandler"/> returns; the handler is the host's.</summary>
    private sealed class NonDisposingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing) { }
    }
}

internal readonly record struct TokenOrFailure(string? Token, SendResult? Failure);
