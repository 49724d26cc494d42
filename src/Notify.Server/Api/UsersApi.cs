using System.Net.Mail;
using NodaTime;
using Notify.Engine.Devices;
using Notify.Engine.Model;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Storage;
using Notify.Server.Auth;
using Notify.Server.Problems;

namespace Notify.Server.Api;

/// <summary><c>PUT /v1/users/{id}</c> and <c>GET /v1/users/{id}</c>.</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/v1/users/{userId}", PutAsync).RequireAuthorization(Policies.AppOrAdmin).WithTags("Users")
            .WithSummary("Create or replace a user (IANA time zone required)")
            .Produces<UserView>(StatusCodes.Status201Created).Produces<UserView>().ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapGet("/v1/users/{userId}", GetAsync).RequireAuthorization(Policies.AppOrDeviceOrAdmin).WithTags("Users")
            .WithSummary("A user with their devices and each device's current state")
            .Produces<UserView>().ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public sealed record UserRequest(string? Email, [property: System.ComponentModel.DataAnnotations.Required] string? TimeZone, string? Locale);

    public sealed record UserView(string Id, string? Email, string TimeZone, string? Locale, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
        IReadOnlyList<DeviceView> Devices);

    public sealed record DeviceView(string Id, Platform Platform, string? Name, PushView? Push, DateTimeOffset CreatedAt, DeviceState State);

    /// <summary>The push registration without its token (a secret of the device).</summary>
    public sealed record PushView(string Provider, string? Topic, string? Environment);

    internal static IResult? ValidateId(string id, string what) =>
        Identifiers.IdProblem(id) is { } problem
            ? Problem.BadRequest("invalid-id", $"The {what} id {problem}: use 1-128 printable characters.", what + "Id")
            : null;

    /// <summary>One plain address (<c>ana@example.com</c>): not a list, not a display name, no control characters.</summary>
    internal static bool IsEmail(string email) =>
        email.Length <= 254 && !email.Any(char.IsControl) && MailAddress.TryCreate(email, out var address)
        && address.Address == email && string.IsNullOrEmpty(address.DisplayName);

    private static async Task<IResult> PutAsync(string userId, UserRequest request, HttpContext context, INotifyStore store,
        DeviceStateTracker tracker, TimeProvider time, HoldHandler holds)
    {
        if (!context.TryGetAppScope(out var appId, out var scopeProblem)) return scopeProblem!;
        if (ValidateId(userId, "user") is { } idProblem) return idProblem;
        if (string.IsNullOrWhiteSpace(request.TimeZone))
            return Problem.BadRequest("missing-field", "'timeZone' is required: an IANA time zone id such as \"Europe/Lisbon\".", "timeZone");
        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(request.TimeZone) is null)
            return Problem.BadRequest("invalid-time-zone", $"'{request.TimeZone}' is not an IANA time zone id; use one such as \"Europe/Lisbon\", \"America/New_York\" or \"UTC\".", "timeZone");
        if (request.Email is not null && !IsEmail(request.Email))
            return Problem.BadRequest("invalid-email", $"'{request.Email}' is not one email address; send a single address such as ana@example.com (no name, no list).", "email");
        if (request.Locale is not null && !Identifiers.IsLocale(request.Locale))
            return Problem.BadRequest("invalid-field", "'locale' is a BCP 47 tag such as \"pt-PT\" or \"en\" (letters, digits and '-', at most 35 characters).", "locale");

        var now = time.UtcNow();
        var existing = await store.GetUserAsync(appId, userId, context.RequestAborted);
        var user = new User(appId, userId, request.Email, request.TimeZone, request.Locale, existing?.CreatedAt ?? now, now);
        await store.UpsertUserAsync(user, context.RequestAborted);
        // Quiet hours are in the user's time zone: a new zone may end (or move) what they hold.
        if (existing is not null && existing.TimeZone != user.TimeZone) await holds.QuietHoursChangedAsync(appId, userId, context.RequestAborted);
        var view = await ViewAsync(user, store, tracker, context.RequestAborted);
        return existing is null ? TypedResults.Json(view, ServerJson.Strict, statusCode: 201) : TypedResults.Json(view, ServerJson.Strict);
    }

    private static async Task<IResult> GetAsync(string userId, HttpContext context, INotifyStore store, DeviceStateTracker tracker)
    {
        var (user, problem) = await FindVisibleAsync(userId, context, store);
        return user is null ? problem! : TypedResults.Json(await ViewAsync(user, store, tracker, context.RequestAborted), ServerJson.Strict);
    }

    /// <summary>The user as the caller may see it: in the caller's app, and for a device token only its own user.</summary>
    internal static async Task<(User? User, IResult? Problem)> FindVisibleAsync(string userId, HttpContext context, INotifyStore store)
    {
        if (!context.TryGetAppScope(out var appId, out var scopeProblem)) return (null, scopeProblem);
        var caller = context.Caller();
        var user = caller.Kind == CallerKind.Device && caller.UserId != userId ? null : await store.GetUserAsync(appId, userId, context.RequestAborted);
        return user is null
            ? (null, Problem.Of(404, "user-not-found", $"There is no user '{userId}' that these credentials can see; create it with PUT /v1/users/{userId}."))
            : (user, null);
    }

    private static async Task<UserView> ViewAsync(User user, INotifyStore store, DeviceStateTracker tracker, CancellationToken ct)
    {
        var devices = tracker.Snapshots(await store.GetDevicesAsync(user.AppId, user.Id, ct));
        return new UserView(user.Id, user.Email, user.TimeZone, user.Locale, user.CreatedAt, user.UpdatedAt,
            devices.Select(d => DevicesApi.View(d)).ToList());
    }
}
