using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Notify.Loopback.Apns;

/// <summary>Checks provider tokens as APNs does: a compact JWS in base64url (no padding), header <c>alg: ES256</c>
/// and a known <c>kid</c>, claims <c>iss</c> = the key's team and <c>iat</c> no older than an hour, and a valid
/// P-256 signature (r‖s, 64 bytes). Written by hand, not with a JWT library, so a token that only that library
/// would accept fails here as it would at Apple.</summary>
internal sealed class ApnsProviderTokenVerifier
{
    /// <summary>APNs refuses provider tokens older than this (<c>ExpiredProviderToken</c>).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, (string TeamId, ECDsa Key)> _keys = new(StringComparer.Ordinal);

    public void Trust(string teamId, string keyId, ECDsa publicKey) => _keys[keyId] = (teamId, publicKey);

    /// <summary>Null when valid, else the APNs reason: <c>InvalidProviderToken</c> or <c>ExpiredProviderToken</c>.</summary>
    public string? Check(string jwt, DateTimeOffset now)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3 || !parts.All(IsBase64Url)) return "InvalidProviderToken";
        try
        {
            using var header = JsonDocument.Parse(Base64UrlDecode(parts[0]));
            using var claims = JsonDocument.Parse(Base64UrlDecode(parts[1]));
            if (header.RootElement.ValueKind != JsonValueKind.Object || claims.RootElement.ValueKind != JsonValueKind.Object)
                return "InvalidProviderToken";
            if (String(header.RootElement, "alg") != "ES256") return "InvalidProviderToken";
            if (String(header.RootElement, "kid") is not { } kid || !_keys.TryGetValue(kid, out var trusted)) return "InvalidProviderToken";
            if (String(claims.RootElement, "iss") != trusted.TeamId) return "InvalidProviderToken";
            if (!claims.RootElement.TryGetProperty("iat", out var iatElement) || !iatElement.TryGetInt64(out var iat))
                return "InvalidProviderToken";
            var signature = Base64UrlDecode(parts[2]);
            if (signature.Length != 64
                || !trusted.Key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256,
                    DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                return "InvalidProviderToken";
            return now - DateTimeOffset.FromUnixTimeSeconds(iat) > MaxAge ? "ExpiredProviderToken" : null;
        }
        catch (JsonException)
        {
            return "InvalidProviderToken";
        }
    }

    private static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsBase64Url(string s) =>
        s.Length > 0 && s.Length % 4 != 1 && s.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');

    private static byte[] Base64UrlDecode(string s)
    {
        var padded = s.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return Convert.FromBase64String(padded);
    }
}
