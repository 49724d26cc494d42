using System.Security.Cryptography;

namespace Notify.Channels.Apns;

/// <summary>The APNs provider API with token authentication (section <c>Channels:Apns</c>). One signing key (.p8)
/// serves every app of the team, so one adapter pushes to all topics; the registration picks the topic.</summary>
public sealed class ApnsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "Channels:Apns";

    /// <summary>Apple's production endpoint, used when <see cref="Endpoint"/> is not set.</summary>
    public static readonly Uri ProductionEndpoint = new("https://api.push.apple.com");

    /// <summary>Apple's development endpoint, for registrations whose environment is <c>sandbox</c> or <c>development</c>
    /// (apps signed with a development profile get tokens that only this endpoint knows).</summary>
    public static readonly Uri SandboxEndpoint = new("https://api.sandbox.push.apple.com");

    /// <summary>The 10-character Team ID of the Apple developer account (Membership details); the JWT's <c>iss</c>.
    /// Required.</summary>
    public string? TeamId { get; set; }

    /// <summary>The 10-character Key ID of the APNs authentication key (Certificates, Identifiers &amp; Profiles →
    /// Keys); the JWT's <c>kid</c>. Required.</summary>
    public string? KeyId { get; set; }

    /// <summary>Absolute path of the <c>AuthKey_XXXXXXXXXX.p8</c> file downloaded with the key (a PKCS#8 PEM P-256
    /// private key). Required. Read once at start.</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>The app's bundle id (<c>apns-topic</c>) for registrations that carry no topic of their own (default
    /// none: then every registration must carry one, or its sends are <c>Misconfigured</c>).</summary>
    public string? Topic { get; set; }

    /// <summary>Where to send (default null: <see cref="ProductionEndpoint"/>, or <see cref="SandboxEndpoint"/> for
    /// registrations whose environment is <c>sandbox</c>/<c>development</c>). When set, every push goes here whatever
    /// the registration says. An <c>http://</c> endpoint speaks HTTP/2 without TLS (prior knowledge), for a local
    /// stand-in such as the loopback server in tests.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>How long one provider token (JWT) is reused before a new one is signed (default 40 minutes). Apple
    /// refuses tokens older than an hour (<c>ExpiredProviderToken</c>) and answers <c>TooManyProviderTokenUpdates</c>
    /// to refreshes more often than every 20 minutes, so it must lie between 20 and 50 minutes (10 minutes of margin
    /// for clock skew).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(40);

    /// <summary>How long one send may take, connecting included (default 10 s). A timeout is a <c>Transient</c>
    /// failure: the dispatcher retries with backoff.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these settings, each naming its key (<c>Channels:Apns:KeyId: required ...</c>);
    /// empty when the adapter can start. Reads the key file to check it holds a P-256 private key.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(TeamId))
            problems.Add($"{Section}:TeamId: required; the 10-character Team ID from your Apple developer account's membership details.");
        if (string.IsNullOrWhiteSpace(KeyId))
            problems.Add($"{Section}:KeyId: required; the 10-character Key ID shown with the APNs key (also in the file name AuthKey_<KeyId>.p8).");
        if (string.IsNullOrWhiteSpace(PrivateKeyFile))
            problems.Add($"{Section}:PrivateKeyFile: required; the path of the AuthKey_<KeyId>.p8 file downloaded with the key.");
        else if (!File.Exists(PrivateKeyFile))
            problems.Add($"{Section}:PrivateKeyFile: file not found at {PrivateKeyFile}.");
        else if (TryLoadKey(PrivateKeyFile, out var error) is { } key)
            key.Dispose();
        else
            problems.Add($"{Section}:PrivateKeyFile: {PrivateKeyFile} {error}");
        if (Topic is { } topic && string.IsNullOrWhiteSpace(topic))
            problems.Add($"{Section}:Topic: empty; set the app's bundle id (com.example.app) or remove the key.");
        if (Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp)))
            problems.Add($"{Section}:Endpoint: '{endpoint}' is not an absolute http(s) URI; remove it to use Apple's endpoints ({ProductionEndpoint}, {SandboxEndpoint}).");
        if (TokenLifetime < TimeSpan.FromMinutes(20) || TokenLifetime > TimeSpan.FromMinutes(50))
            problems.Add($"{Section}:TokenLifetime: {TokenLifetime} is outside 00:20:00–00:50:00 (Apple refuses refreshes more often than every 20 minutes and tokens older than an hour).");
        if (Timeout <= TimeSpan.Zero)
            problems.Add($"{Section}:Timeout: {Timeout} must be positive (default 00:00:10).");
        return problems;
    }

    /// <summary>Reads a PEM P-256 private key, or says why it cannot (null and <paramref name="error"/>).</summary>
    internal static ECDsa? TryLoadKey(string path, out string? error)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.KeySize != 256)
            {
                error = $"holds a {key.KeySize}-bit EC key; APNs keys are P-256 (ES256).";
                key.Dispose();
                return null;
            }
            // A public key alone imports too, but cannot sign.
            key.ExportParameters(includePrivateParameters: true);
            error = null;
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            error = "is not a PEM EC private key (expected -----BEGIN PRIVATE KEY----- as in the .p8 Apple gives).";
            key.Dispose();
            return null;
        }
    }
}
