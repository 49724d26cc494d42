using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Notify.Server.Problems;

namespace Notify.Server.Auth;

/// <summary>Policies by credential kind. Each endpoint names the kinds that may call it.</summary>
public static class Policies
{
    public const string App = "app";
    public const string Device = "device";
    public const string Admin = "admin";
    public const string AppOrAdmin = "app-or-admin";
    public const string AppOrDeviceOrAdmin = "app-device-admin";

    public static IServiceCollection AddNotifyAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration("Auth").ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<KeyRing>();
        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(App, p => p.RequireClaim(Caller.KindClaim, nameof(CallerKind.App)))
            .AddPolicy(Device, p => p.RequireClaim(Caller.KindClaim, nameof(CallerKind.Device)))
            .AddPolicy(Admin, p => p.RequireClaim(Caller.KindClaim, nameof(CallerKind.Admin)))
            .AddPolicy(AppOrAdmin, p => p.RequireClaim(Caller.KindClaim, nameof(CallerKind.App), nameof(CallerKind.Admin)))
            .AddPolicy(AppOrDeviceOrAdmin, p => p.RequireClaim(Caller.KindClaim, nameof(CallerKind.App), nameof(CallerKind.Device), nameof(CallerKind.Admin)));
        return services;
    }

    /// <summary>
    /// The app a request acts on: the caller's own app, or for an admin the <c>appId</c> query parameter
    /// (optional when exactly one app is configured).
    /// </summary>
    public static bool TryGetAppScope(this HttpContext context, out string appId, out IResult? problem)
    {
        var caller = context.Caller();
        problem = null;
        if (caller.AppId is not null) { appId = caller.AppId; return true; }
        var apps = context.RequestServices.GetRequiredService<KeyRing>().AppIds;
        var requested = context.Request.Query["appId"].ToString();
        if (requested.Length > 0 && apps.Contains(requested)) { appId = requested; return true; }
        if (requested.Length == 0 && apps.Count == 1) { appId = apps[0]; return true; }
        appId = "";
        problem = requested.Length > 0
            ? Problem.NotFound("app", requested)
            : Problem.BadRequest("app-required", $"An admin key acts for one app: add ?appId= with one of {string.Join(", ", apps)}.", "appId");
        return false;
    }
}
