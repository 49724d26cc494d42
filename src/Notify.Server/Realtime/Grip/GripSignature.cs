using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Notify.Server.Realtime.Grip;

/// <summary>
/// Checks <c>Grip-Sig</c>: the JWT Pushpin adds to every request it forwards, HS256 with the shared key, issuer
/// <c>pushpin</c>, with an expiry. A GRIP request without a valid one did not come through our Pushpin (a client
/// reached the node directly and wrote GRIP headers itself) and is refused.
/// </summary>
public sealed class GripSignature
{
    public const string Header = "Grip-Sig";

    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);

    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenValidationParameters _parameters;

    public GripSignature(string key, string issuer, TimeProvider time)
    {
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidIssuer = issuer,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            // Checked against the injected clock. Pushpin signs each request as it forwards it with a short expiry;
            // the skew allows for clocks that are NTP-close, not equal.
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } e && now <= e + Skew && (notBefore is not { } nb || nb - Skew <= now);
            },
        };
    }

    /// <summary>Null when <paramref name="token"/> is a valid signature; else why it is not, for the log.</summary>
    public async Task<string?> ValidateAsync(string? token)
    {
        if (string.IsNullOrEmpty(token)) return "no Grip-Sig header";
        var result = await _handler.ValidateTokenAsync(token, _parameters);
        return result.IsValid ? null : result.Exception?.GetType().Name ?? "invalid";
    }
}
