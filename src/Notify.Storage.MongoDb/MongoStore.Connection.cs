using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Driver;
using Notify.Engine.Storage;

namespace Notify.Storage.MongoDb;

/// <summary>Indexes at start-up and what an unreachable MongoDB looks like to callers.</summary>
public sealed partial class MongoStore
{
    /// <summary>Runs an operation, after the indexes exist; an unreachable server becomes a <see cref="StoreUnavailableException"/>.</summary>
    private async Task<T> Run<T>(Func<CancellationToken, Task<T>> operation, CancellationToken ct, bool ensureIndexes = true)
    {
        try
        {
            if (ensureIndexes) await EnsureIndexesAsync().WaitAsync(ct);
            return await operation(ct);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw new StoreUnavailableException($"MongoDB at {Address} is unreachable: {Why(e)}. Requests fail until it answers; nothing needs a restart.", e);
        }
    }

    private Task Run(Func<CancellationToken, Task> operation, CancellationToken ct) => Run(async t =>
    {
        await operation(t);
        return true;
    }, ct);

    internal static bool IsUnavailable(Exception e) => e is TimeoutException or MongoConnectionException or MongoNotPrimaryException
        or MongoNodeIsRecoveringException;

    private string Why(Exception e) => e switch
    {
        TimeoutException => $"no usable server answered within {_options.ServerSelectionTimeout.TotalSeconds:0.#} s (Storage:MongoDB:ServerSelectionTimeout)",
        MongoNotPrimaryException or MongoNodeIsRecoveringException => "the replica set has no primary right now (an election?)",
        _ => "the connection failed (" + e.Message.Split('\n')[0].TrimEnd('.') + ")",
    };

    /// <summary>The start-up index creation, or a new attempt if the last one failed: a failure is never kept.</summary>
    private Task EnsureIndexesAsync()
    {
        lock (_indexGate)
        {
            if (_indexes is null || _indexes.IsFaulted || _indexes.IsCanceled)
            {
                _indexes = CreateIndexesAsync();
                // Observed here so a failed start-up attempt nobody awaits is not reported as unobserved.
                _indexes.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
            return _indexes;
        }
    }

    private async Task CreateIndexesAsync()
    {
        try
        {
            foreach (var spec in MongoIndexes.All(_options.IdempotencyRetention))
            {
                var indexes = _db.GetCollection<BsonDocument>(spec.Collection).Indexes;
                try
                {
                    await indexes.CreateOneAsync(spec.ToModel());
                }
                catch (MongoCommandException e) when (e.Code == IndexOptionsConflict && spec.ExpireAfter is { } ttl)
                {
                    // The retention setting changed: MongoDB changes a TTL in place with collMod, not with createIndexes.
                    await _db.RunCommandAsync<BsonDocument>(MongoIndexes.ChangeTtl(spec, ttl));
                    LogTtlChanged(spec.Name, ttl);
                }
                catch (MongoCommandException e) when (e.Code is IndexOptionsConflict or IndexKeySpecsConflict)
                {
                    // An index of that name exists with other keys or options (edited by hand?): queries still work, maybe slower.
                    LogIndexConflict(e, spec.Collection, spec.Name);
                }
            }
            LogIndexesReady(Address, _options.Database);
        }
        catch (Exception e)
        {
            LogIndexesFailed(e, Address);
            throw;
        }
    }

    private const int IndexOptionsConflict = 85;
    private const int IndexKeySpecsConflict = 86;

    [LoggerMessage(Level = LogLevel.Information, Message = "MongoDB index {Index}: expiry changed to {Ttl}")]
    private partial void LogTtlChanged(string index, TimeSpan ttl);

    [LoggerMessage(Level = LogLevel.Error, Message = "MongoDB index {Collection}.{Index} exists with other keys or options; drop it to let Notify create it as documented (docs/operations.md)")]
    private partial void LogIndexConflict(Exception e, string collection, string index);

    [LoggerMessage(Level = LogLevel.Information, Message = "MongoDB at {Address}: indexes of database {Database} are in place")]
    private partial void LogIndexesReady(string address, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MongoDB at {Address}: creating the indexes failed; the next call tries again")]
    private partial void LogIndexesFailed(Exception e, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "A commit's transaction failed transiently (attempt {Attempt}); running it again")]
    private partial void LogTransactionRetried(Exception e, int attempt);
}
