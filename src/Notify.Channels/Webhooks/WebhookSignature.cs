using System.Security.Cryptography;
using System.Text;

namespace Notify.Channels.Webhooks;

/// <summary>
/// The <c>Notify-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body" with the app's secret&gt;</c>.
/// The timestamp is inside the signed text, so a receiver that also checks it is recent defeats replays.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Notify-Signature";

    public static string Create(string secret, long unixSeconds, string body) =>
        $"t={unixSeconds},v1={Convert.ToHexStringLower(Mac(secret, unixSeconds, body))}";

    /// <summary>Checks a header as a receiver should: a matching v1 (in constant time) and a timestamp within
    /// <paramref name="tolerance"/> of <paramref name="now"/>.</summary>
    public static bool Verify(string secret, string header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        long? t = null;
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            var (key, value) = (part[..eq], part[(eq + 1)..]);
            if (key == "t" && long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ts)) t = ts;
            else if (key == "v1" && value.Length == 64)
            {
                try { signatures.Add(Convert.FromHexString(value)); } catch (FormatException) { }
            }
        }
        if (t is not { } at || Math.Abs(now.ToUnixTimeSeconds() - at) > tolerance.TotalSeconds) return false;
        var expected = Mac(secret, at, body);
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(s, expected));
    }

    private static byte[] Mac(string secret, long unixSeconds, string body) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
}
