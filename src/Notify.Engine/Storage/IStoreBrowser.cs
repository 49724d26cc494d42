using Notify.Engine.Model;

namespace Notify.Engine.Storage;

/// <summary>
/// Read-only listings for operators (the console at <c>/console</c>): which users an app has and what was sent
/// to one of them lately. Kept apart from <see cref="INotifyStore"/> because the delivery path never needs it;
/// a provider implements both.
/// </summary>
public interface IStoreBrowser
{
    /// <summary>Users ordered by (app id, user id), after the given position, at most <paramref name="limit"/>.</summary>
    /// <param name="appId">Only this app's users; null for every app (admin).</param>
    /// <param name="after">Start after this user id (in <paramref name="afterAppId"/>'s app when listing every app); null for the start.</param>
    Task<IReadOnlyList<User>> ListUsersAsync(string? appId, string? afterAppId, string? after, int limit, CancellationToken ct = default);

    /// <summary>The user's notifications, newest first, older than <paramref name="before"/> (a notification id) when given.</summary>
    Task<IReadOnlyList<Notification>> GetRecentNotificationsAsync(string appId, string userId, string? before, int limit, CancellationToken ct = default);
}
