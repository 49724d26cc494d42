using System.Text;
using Notify.Engine.Model;
using Notify.Engine.Storage;
using Notify.Server.Api;
using Notify.Server.Auth;
using Notify.Server.Problems;

// Not Notify.Server.Console: that namespace would hide System.Console from all server code.
namespace Notify.Server.WebConsole;

/// <summary><c>GET /v1/users</c> (list) and <c>GET /v1/users/{userId}/notifications</c> (recent), for operators and the console.</summary>
public static class UserListingsApi
{
    /// <summary>The most items one page may ask for.</summary>
    public const int MaxLimit = 200;

    public static IEndpointRouteBuilder MapUserListingsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/users", ListUsersAsync).RequireAuthorization(Policies.AppOrAdmin).WithTags("Users")
            .WithSummary("The app's users by id, a page at a time; an admin without ?appId= sees every app's")
            .Produces<UserPage>().ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapGet("/v1/users/{userId}/notifications", RecentAsync).RequireAuthorization(Policies.AppOrAdmin).WithTags("Notifications")
            .WithSummary("The user's notifications, newest first, a page at a time")
            .Produces<NotificationPage>().ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public sealed record UserSummary(string AppId, string Id, string? Email, string TimeZone, string? Locale, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    /// <param name="Next">Pass as <c>?cursor=</c> for the next page; absent on the last page.</param>
    public sealed record UserPage(IReadOnlyList<UserSummary> Users, string? Next);

    public sealed record NotificationSummary(string Id, string Category, string? Title, Priority Priority, NotificationStatus Status,
        DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string RuleName, int Step, DateTimeOffset? AcknowledgedAt);

    /// <param name="Next">Pass as <c>?before=</c> for older ones; absent on the last page.</param>
    public sealed record NotificationPage(IReadOnlyList<NotificationSummary> Notifications, string? Next);

    private static async Task<IResult> ListUsersAsync(HttpContext context, IStoreBrowser browser, int? limit, string? cursor)
    {
        if (LimitProblem(limit) is { } limitProblem) return limitProblem;
        string? appId = null;
        if (context.Caller().Kind != CallerKind.Admin || context.Request.Query.ContainsKey("appId"))
        {
            if (!context.TryGetAppScope(out var scoped, out var scopeProblem)) return scopeProblem!;
            appId = scoped;
        }
        if (!TryReadCursor(cursor, out var afterApp, out var afterId))
            return Problem.BadRequest("invalid-field", "'cursor' is not one this server gave; pass the 'next' of the previous page unchanged.", "cursor");
        var take = limit ?? 50;
        var users = await browser.ListUsersAsync(appId, afterApp, afterId, take + 1, context.RequestAborted);
        var page = users.Take(take).Select(u => new UserSummary(u.AppId, u.Id, u.Email, u.TimeZone, u.Locale, u.CreatedAt, u.UpdatedAt)).ToList();
        var next = users.Count > take ? Cursor(page[^1]) : null;
        return TypedResults.Json(new UserPage(page, next), ServerJson.Strict);
    }

    private static async Task<IResult> RecentAsync(string userId, HttpContext context, INotifyStore store, IStoreBrowser browser, int? limit, string? before)
    {
        if (LimitProblem(limit) is { } limitProblem) return limitProblem;
        var (user, problem) = await UsersApi.FindVisibleAsync(userId, context, store);
        if (user is null) return problem!;
        var take = limit ?? 20;
        var found = await browser.GetRecentNotificationsAsync(user.AppId, user.Id, before, take + 1, context.RequestAborted);
        var page = found.Take(take).Select(n => new NotificationSummary(n.Id, n.Category, n.Title, n.Priority, n.Status, n.CreatedAt, n.ExpiresAt,
            n.RuleName, n.Step, n.AcknowledgedAt)).ToList();
        return TypedResults.Json(new NotificationPage(page, found.Count > take ? page[^1].Id : null), ServerJson.Strict);
    }

    private static IResult? LimitProblem(int? limit) => limit is < 1 or > MaxLimit
        ? Problem.BadRequest("invalid-field", $"'limit' is {limit}; ask for 1 to {MaxLimit} items.", "limit")
        : null;

    // The cursor is the last user's (app, id), so a page never repeats or skips a user whatever is added meanwhile.
    private static string Cursor(UserSummary last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{last.AppId}\n{last.Id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryReadCursor(string? cursor, out string? appId, out string? userId)
    {
        appId = userId = null;
        if (string.IsNullOrEmpty(cursor)) return true;
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
            var parts = text.Split('\n', 2);
            if (parts.Length != 2) return false;
            (appId, userId) = (parts[0], parts[1]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
