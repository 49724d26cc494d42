using System.Security.Claims;

namespace Notify.Server.Auth;

public enum CallerKind { App, Device, Admin }

/// <summary>Who is calling, from the bearer credential.</summary>
/// <param name="AppId">The app an app key or device belongs to; null for an admin.</param>
public sealed record Caller(CallerKind Kind, string? AppId, string? DeviceId, string? UserId)
{
    public const string KindClaim = "notify:kind";
    public const string AppClaim = "notify:app";
    public const string DeviceClaim = "notify:device";
    public const string UserClaim = "notify:user";

    public static Caller From(ClaimsPrincipal user) => new(
        Enum.Parse<CallerKind>(user.FindFirstValue(KindClaim)!),
        user.FindFirstValue(AppClaim), user.FindFirstValue(DeviceClaim), user.FindFirstValue(UserClaim));

    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        var claims = new List<Claim> { new(KindClaim, Kind.ToString()) };
        if (AppId is not null) claims.Add(new Claim(AppClaim, AppId));
        if (DeviceId is not null) claims.Add(new Claim(DeviceClaim, DeviceId));
        if (UserId is not null) claims.Add(new Claim(UserClaim, UserId));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}

public static class CallerExtensions
{
    public static Caller Caller(this HttpContext context) => Auth.Caller.From(context.User);
}
