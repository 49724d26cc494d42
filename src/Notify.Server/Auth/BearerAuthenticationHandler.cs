using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Notify.Engine.Storage;
using Notify.Server.Problems;

namespace Notify.Server.Auth;

/// <summary>
/// Reads <c>Authorization: Bearer …</c> (or <c>?access_token=</c> on the realtime endpoints, which browsers
/// cannot give headers) and resolves it to an admin, an app, or a device. App and admin keys are compared
/// by their SHA-256, device tokens are looked up by their hash, so no secret is compared byte by byte.
/// </summary>
internal sealed class BearerAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger,
    UrlEncoder encoder, KeyRing keys, INotifyStore store) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken();
        if (token is null) return AuthenticateResult.NoResult();
        var hash = KeyRing.Hash(token);
        var caller = keys.Find(hash);
        if (caller is null && token.StartsWith(DeviceTokens.Prefix, StringComparison.Ordinal)
            && await store.FindDeviceByTokenHashAsync(hash, Context.RequestAborted) is { } device)
            caller = new Caller(CallerKind.Device, device.AppId, device.Id, device.UserId);
        return caller is null
            ? AuthenticateResult.Fail("unknown credential")
            : AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(SchemeName), SchemeName));
    }

    private string? ReadToken()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        if (Request.Path.StartsWithSegments("/v1/realtime") && Request.Query["access_token"].ToString() is { Length: > 0 } q) return q;
        return null;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problem.WriteAsync(Context, 401, "unauthorized",
            "Send 'Authorization: Bearer <key>' with an app key, a device token or an admin key that this server knows.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problem.WriteAsync(Context, 403, "forbidden", $"This endpoint is not for {Context.Caller().Kind.ToString().ToLowerInvariant()} credentials; see the credentials table in docs/api.md.");
}

/// <summary>The configured admin and app keys, by hash.</summary>
internal sealed class KeyRing
{
    private readonly Dictionary<string, Caller> _byHash = new(StringComparer.Ordinal);

    public KeyRing(IOptions<AuthOptions> options)
    {
        foreach (var key in options.Value.AdminKeys) _byHash[Hash(key)] = new Caller(CallerKind.Admin, null, null, null);
        foreach (var app in options.Value.Apps)
            foreach (var key in app.Keys) _byHash[Hash(key)] = new Caller(CallerKind.App, app.Id, null, null);
        AppIds = options.Value.Apps.Select(a => a.Id).ToList();
    }

    public IReadOnlyList<string> AppIds { get; }

    public Caller? Find(string hash) => _byHash.GetValueOrDefault(hash);

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}

/// <summary>Device tokens: random, shown once at registration, stored as their SHA-256.</summary>
public static class DeviceTokens
{
    public const string Prefix = "ndt_";

    public static (string Token, string Hash) Issue()
    {
        var token = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        return (token, KeyRing.Hash(token));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
