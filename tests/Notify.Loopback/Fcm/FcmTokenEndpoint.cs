using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Notify.Loopback.Fcm;

/// <summary>One request the token endpoint received.</summary>
/// <param name="Issuer">The assertion's <c>iss</c>, when it could be read.</param>
/// <param name="Status">What the endpoint answered.</param>
/// <param name="Error">The OAuth <c>error</c> it answered with, if any.</param>
public sealed record FcmTokenRequest(string? GrantType, string? Issuer, string? Scope, string? Audience, DateTimeOffset ReceivedAt, int Status, string? Error);

/// <summary>
/// Google's OAuth2 token endpoint for service accounts (<c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</c>):
/// verifies the RS256 assertion with the account's public key and its iss, scope, aud, iat and exp, and issues opaque
/// access tokens that the send endpoint accepts until they expire (on the server's clock) or are revoked.
/// Errors are Google's: <c>{"error":"invalid_grant","error_description":"Invalid JWT Signature."}</c> and friends.
/// </summary>
internal sealed class FcmTokenEndpoint(TimeProvider time, Func<Uri> tokenUri)
{
    public const string GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static readonly string[] AcceptedScopes = ["https://www.googleapis.com/auth/firebase.messaging", "https://www.googleapis.com/auth/cloud-platform"];

    // Google accepts its own token URLs as the assertion's audience (Google.Apis.Auth always signs for the first),
    // and the loopback also accepts its own address, which is what the file's token_uri says.
    private static readonly string[] GoogleAudiences = ["https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token", "https://accounts.google.com/o/oauth2/token"];

    private readonly ConcurrentDictionary<string, FcmServiceAccount> _accounts = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset ExpiresAt, string ClientEmail)> _issued = new();
    private readonly ConcurrentQueue<FcmTokenRequest> _requests = new();
    private readonly ConcurrentQueue<(int Status, string Error, string Description)> _scripted = new();
    private int _counter;

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(3599);
    public IReadOnlyList<FcmTokenRequest> Requests => [.. _requests];
    public event Action? Received;

    public void Register(FcmServiceAccount account) => _accounts[account.ClientEmail] = account;

    public void FailNext(int count, int status, string error, string description)
    {
        for (var i = 0; i < count; i++) _scripted.Enqueue((status, error, description));
    }

    public void RevokeAll() => _issued.Clear();

    /// <summary>The account an access token was issued to, when it is still valid.</summary>
    public string? Check(string accessToken) =>
        _issued.TryGetValue(accessToken, out var t) && t.ExpiresAt > time.GetUtcNow() ? t.ClientEmail : null;

    public async Task<IResult> HandleAsync(HttpRequest request)
    {
        var now = time.GetUtcNow();
        string? grantType = null, assertion = null;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            grantType = form["grant_type"];
            assertion = form["assertion"];
        }
        Claims? claims = null;
        var (status, error, description) = _scripted.TryDequeue(out var s) ? s : Check(grantType, assertion, now, out claims);
        _requests.Enqueue(new FcmTokenRequest(grantType, claims?.Iss, claims?.Scope, claims?.Aud, now, status, error));
        Received?.Invoke();

        if (status != 200)
            return Results.Json(new JsonObject { ["error"] = error, ["error_description"] = description }, statusCode: status);
        var token = $"ya29.loopback-{Interlocked.Increment(ref _counter)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
        _issued[token] = (now + Lifetime, claims!.Iss!);
        return Results.Json(new JsonObject
        {
            ["access_token"] = token,
            ["expires_in"] = (int)Lifetime.TotalSeconds,
            ["token_type"] = "Bearer",
        });
    }

    private sealed record Claims(string? Iss, string? Scope, string? Aud, long? Iat, long? Exp);

    private (int, string, string) Check(string? grantType, string? assertion, DateTimeOffset now, out Claims? claims)
    {
        claims = null;
        if (grantType is null) return (400, "invalid_request", "Missing required parameter: grant_type");
        if (grantType != GrantType) return (400, "unsupported_grant_type", $"Invalid grant_type: {grantType}");
        if (string.IsNullOrEmpty(assertion)) return (400, "invalid_request", "Missing required parameter: assertion");

        var parts = assertion.Split('.');
        if (parts.Length != 3) return (400, "invalid_grant", "Invalid JWT: malformed assertion.");
        JsonNode? header, payload;
        try
        {
            header = JsonNode.Parse(Base64Url(parts[0]));
            payload = JsonNode.Parse(Base64Url(parts[1]));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return (400, "invalid_grant", "Invalid JWT: malformed assertion.");
        }
        string? Str(JsonNode? n, string name) => n?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        long? Num(string name) => payload?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<long>() : null;
        claims = new Claims(Str(payload, "iss"), Str(payload, "scope"), Str(payload, "aud"), Num("iat"), Num("exp"));

        if (Str(header, "alg") != "RS256") return (400, "invalid_grant", "Invalid JWT Signature.");
        if (claims.Iss is null || !_accounts.TryGetValue(claims.Iss, out var account))
            return (400, "invalid_grant", "Invalid grant: account not found");
        using (var rsa = RSA.Create(account.PublicKey))
        {
            if (!rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                return (400, "invalid_grant", "Invalid JWT Signature.");
        }
        if (claims.Aud is null || (claims.Aud != tokenUri().ToString() && !GoogleAudiences.Contains(claims.Aud)))
            return (400, "invalid_grant", $"Invalid JWT: Failed audience check. The right audience is {GoogleAudiences[0]} or {tokenUri()}");
        if (claims.Scope is null || !claims.Scope.Split(' ').Any(AcceptedScopes.Contains))
            return (400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
        var nowSeconds = now.ToUnixTimeSeconds();
        if (claims.Iat is not { } iat || claims.Exp is not { } exp || exp - iat > 3600 || exp <= iat
            || iat > nowSeconds + 300 || exp < nowSeconds)
            return (400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
        return (200, "", "");
    }

    private static byte[] Base64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + (4 - b.Length % 4) % 4, '='));
    }
}
