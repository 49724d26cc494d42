using System.Collections.Concurrent;
using Notify.Engine.Model;
using Notify.Engine.Storage;

namespace Notify.Storage.Sqlite;

/// <summary>
/// Users and their devices kept in memory, write-through: every notify reads both (two queries, a measurable share of
/// its CPU under <c>bench/ load</c>). Every write of a user or device row goes through this store, so it drops the entry
/// once its commit is done and before the writer's caller resumes: a read after a write sees the write. A read that
/// raced a write (it read the row before the commit) does not put what it read into the cache: each write moves the
/// generation on, and a read fills only if the generation it started with is still current. The SQLite file belongs to
/// one process, so no other node can change these rows behind the cache (MongoDB, shared by several nodes, has none).
/// </summary>
public sealed partial class SqliteStore
{
    /// <summary>Users (and as many device lists) kept at most; past it the cache starts over (bounded memory).</summary>
    internal const int MaxCachedUsers = 100_000;

    private readonly ConcurrentDictionary<(string AppId, string UserId), User> _users = new();
    private readonly ConcurrentDictionary<(string AppId, string UserId), IReadOnlyList<StoredDevice>> _devices = new();
    /// <summary>Whose list a cached device is in, to drop that list when only the device's id is known.</summary>
    private readonly ConcurrentDictionary<string, (string AppId, string UserId)> _deviceOwners = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();
    private long _generation;

    private long Generation => Volatile.Read(ref _generation);

    private void CacheUser(long generation, User user)
    {
        lock (_cacheLock)
        {
            if (generation != _generation) return;
            if (_users.Count >= MaxCachedUsers) _users.Clear();
            _users[(user.AppId, user.Id)] = user;
        }
    }

    private void CacheDevices(long generation, string appId, string userId, IReadOnlyList<StoredDevice> devices)
    {
        lock (_cacheLock)
        {
            if (generation != _generation) return;
            if (_devices.Count >= MaxCachedUsers)
            {
                _devices.Clear();
                _deviceOwners.Clear();
            }
            foreach (var d in devices) _deviceOwners[d.Device.Id] = (appId, userId);
            _devices[(appId, userId)] = devices;
        }
    }

    private void ForgetUser(string appId, string userId)
    {
        lock (_cacheLock)
        {
            _generation++;
            _users.TryRemove((appId, userId), out _);
        }
    }

    private void ForgetDevices(string appId, string userId, IEnumerable<string> deviceIds)
    {
        lock (_cacheLock)
        {
            _generation++;
            _devices.TryRemove((appId, userId), out _);
            ForgetOwners(deviceIds);
        }
    }

    private void ForgetDevices(IEnumerable<string> deviceIds)
    {
        lock (_cacheLock)
        {
            _generation++;
            ForgetOwners(deviceIds);
        }
    }

    private void ForgetOwners(IEnumerable<string> deviceIds)
    {
        foreach (var id in deviceIds)
            if (_deviceOwners.TryRemove(id, out var owner))
                _devices.TryRemove(owner, out _);
    }

    /// <summary>
    /// Runs a write of users or devices, then <paramref name="forget"/> once it is committed (or failed), whether or not
    /// the caller still waits for it: a cancelled wait does not cancel the write, so it must not skip the invalidation.
    /// </summary>
    private Task<T> WriteThrough<T>(Func<SqliteWriter.Batch, T> work, Action forget, CancellationToken ct)
    {
        var written = _writer.WriteAsync(work).ContinueWith(static (t, state) =>
        {
            ((Action)state!)();
            return t;
        }, forget, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
        return written.WaitAsync(ct);
    }
}
