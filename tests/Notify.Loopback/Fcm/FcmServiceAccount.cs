using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Notify.Loopback.Fcm;

/// <summary>A service-account key file written for a loopback server, as the Firebase console would hand it out.</summary>
/// <param name="Path">Absolute path of the JSON file.</param>
/// <param name="PublicKey">The public half, which the token endpoint verifies assertions with.</param>
public sealed record FcmServiceAccount(string Path, string ClientEmail, string ProjectId, string PrivateKeyId, RSAParameters PublicKey)
{
    /// <summary>Writes <c>{folder}/{projectId}-service-account.json</c> with a fresh 2048-bit RSA key and
    /// <c>token_uri</c> = <paramref name="tokenUri"/>.</summary>
    public static FcmServiceAccount Create(string folder, Uri tokenUri, string projectId, string? clientEmail = null)
    {
        using var rsa = RSA.Create(2048);
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var email = clientEmail ?? $"firebase-adminsdk-loop@{projectId}.iam.gserviceaccount.com";
        var json = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = projectId,
            ["private_key_id"] = keyId,
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = email,
            ["client_id"] = "100000000000000000001",
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = tokenUri.ToString(),
            ["auth_provider_x509_cert_url"] = "https://www.googleapis.com/oauth2/v1/certs",
            ["universe_domain"] = "googleapis.com",
        };
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, $"{projectId}-service-account.json"));
        File.WriteAllText(path, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return new FcmServiceAccount(path, email, projectId, keyId, rsa.ExportParameters(includePrivateParameters: false));
    }
}
