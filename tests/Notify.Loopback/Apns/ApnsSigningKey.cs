using System.Security.Cryptography;

namespace Notify.Loopback.Apns;

/// <summary>A P-256 signing key written as Apple hands it out (<c>AuthKey_&lt;KeyId&gt;.p8</c>, PKCS#8 PEM), for
/// configuring the adapter (<c>Channels:Apns:PrivateKeyFile</c>, <c>KeyId</c>, <c>TeamId</c>).</summary>
public sealed record ApnsSigningKey(string PrivateKeyFile, string TeamId, string KeyId)
{
    /// <summary>Writes a fresh key into <paramref name="directory"/> (created if missing) and returns it with the
    /// public half, which a server must trust (<see cref="ApnsLoopbackServer.TrustKey"/>).</summary>
    public static (ApnsSigningKey Key, ECDsa PublicKey) Create(string directory, string teamId, string keyId)
    {
        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(directory, $"AuthKey_{keyId}.p8");
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        var publicKey = ECDsa.Create();
        publicKey.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
        return (new ApnsSigningKey(path, teamId, keyId), publicKey);
    }
}
