using MongoDB.Driver;
using Notify.Engine.Model;
using Notify.Engine.Storage;
using static Notify.Storage.MongoDb.DocumentMapping;
using Q = Notify.Storage.MongoDb.MongoQueries;

namespace Notify.Storage.MongoDb;

/// <summary>The operator listings (<see cref="IStoreBrowser"/>).</summary>
public sealed partial class MongoStore
{
    public Task<IReadOnlyList<User>> ListUsersAsync(string? appId, string? afterAppId, string? after, int limit, CancellationToken ct = default) =>
        Run<IReadOnlyList<User>>(async t =>
        {
            var (filter, sort) = Q.ListUsers(appId, afterAppId, after);
            return (await _users.Find(filter).Sort(sort).Limit(limit).ToListAsync(t)).Select(ToUser).ToList();
        }, ct);

    public Task<IReadOnlyList<Notification>> GetRecentNotificationsAsync(string appId, string userId, string? before, int limit, CancellationToken ct = default) =>
        Run<IReadOnlyList<Notification>>(async t =>
        {
            var (filter, sort) = Q.Recent(appId, userId, before);
            return (await _notifications.Find(filter).Sort(sort).Limit(limit).Project<NotificationDoc>(Q.HeadOnly).ToListAsync(t))
                .Select(ToNotification).ToList();
        }, ct);
}
