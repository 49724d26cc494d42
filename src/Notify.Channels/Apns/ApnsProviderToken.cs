using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Notify.Channels.Apns;

/// <summary>The provider token (ES256 JWT: header <c>{alg, kid}</c>, claims <c>{iss, iat}</c>) shared by every send:
/// signed once, reused for <see cref="ApnsOptions.TokenLifetime"/>, renewed at most once per rejection however many
/// sends saw it rejected at the same time. Thread-safe.</summary>
internal sealed class ApnsProviderToken : IDisposable
{
    private sealed record Issued(string Jwt, DateTimeOffset IssuedAt);

    private readonly ECDsa _key;
    private readonly SigningCredentials _credentials;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly string _teamId;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private Issued? _current;

    public ApnsProviderToken(ECDsa key, string keyId, string teamId, TimeSpan lifetime, TimeProvider clock)
    {
        _key = key;
        _credentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256);
        _teamId = teamId;
        _lifetime = lifetime;
        _clock = clock;
    }

    /// <summary>How many tokens were signed so far.</summary>
    public int Minted { get; private set; }

    /// <summary>Raised after a new token was signed (for logging).</summary>
    public event Action<DateTimeOffset>? Renewed;

    /// <summary>The token to send now: the cached one while younger than the lifetime, else a new one.</summary>
    public string Current()
    {
        var now = _clock.GetUtcNow();
        var issued = Volatile.Read(ref _current);
        if (issued is not null && now - issued.IssuedAt < _lifetime) return issued.Jwt;
        lock (_gate)
        {
            issued = _current;
            if (issued is not null && now - issued.IssuedAt < _lifetime) return issued.Jwt;
            return Mint(now);
        }
    }

    /// <summary>APNs refused <paramref name="rejected"/> as expired: sign a new token unless another send already
    /// replaced it, and return the one to retry with.</summary>
    public string Renew(string rejected)
    {
        lock (_gate)
        {
            if (_current is { } issued && issued.Jwt != rejected) return issued.Jwt;
            return Mint(_clock.GetUtcNow());
        }
    }

    private string Mint(DateTimeOffset now)
    {
        var jwt = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _teamId,
            IssuedAt = now.UtcDateTime,
            SigningCredentials = _credentials,
        });
        Volatile.Write(ref _current, new Issued(jwt, now));
        Minted++;
        Renewed?.Invoke(now);
        return jwt;
    }

    public void Dispose() => _key.Dispose();
}
