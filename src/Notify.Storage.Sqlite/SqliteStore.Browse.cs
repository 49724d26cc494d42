using Notify.Engine.Model;
using Notify.Engine.Storage;

namespace Notify.Storage.Sqlite;

/// <summary>The operator listings (<see cref="IStoreBrowser"/>) on the same read connections.</summary>
public sealed partial class SqliteStore : IStoreBrowser
{
    private const string UserColumns = "app_id, id, email, time_zone, locale, created_at, updated_at";

    public Task<IReadOnlyList<User>> ListUsersAsync(string? appId, string? afterAppId, string? after, int limit, CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<User>>(c => appId is not null
            ? Many(c, $"SELECT {UserColumns} FROM users WHERE app_id=$1 AND id > $2 ORDER BY id LIMIT $3", ReadUser, appId, after ?? "", limit)
            : Many(c, $"SELECT {UserColumns} FROM users WHERE (app_id, id) > ($1, $2) ORDER BY app_id, id LIMIT $3", ReadUser,
                afterAppId ?? "", after ?? "", limit), ct);

    // Ids sort by creation time (docs/api.md §1), so "newest first" is the id order; notifications_user serves it.
    public Task<IReadOnlyList<Notification>> GetRecentNotificationsAsync(string appId, string userId, string? before, int limit, CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<Notification>>(c => before is null
            ? Many(c, $"SELECT {NotificationColumns} FROM notifications WHERE app_id=$1 AND user_id=$2 ORDER BY id DESC LIMIT $3",
                r => ReadNotification(r), appId, userId, limit)
            : Many(c, $"SELECT {NotificationColumns} FROM notifications WHERE app_id=$1 AND user_id=$2 AND id < $3 ORDER BY id DESC LIMIT $4",
                r => ReadNotification(r), appId, userId, before, limit), ct);

    private static User ReadUser(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), Str(r, 2), r.GetString(3), Str(r, 4), Time(r, 5), Time(r, 6));
}
