using MongoDB.Driver;
using Notify.Engine.Storage;
using static Notify.Storage.MongoDb.DocumentMapping;
using Q = Notify.Storage.MongoDb.MongoQueries;

namespace Notify.Storage.MongoDb;

/// <summary>A commit: one transaction over the notification documents, timers, outbox and idempotency keys it touches.</summary>
public sealed partial class MongoStore
{
    /// <summary>Attempts of a transaction that failed with a transient error (a write conflict with another node).
    /// Bounded, unlike the driver's WithTransaction (two minutes), so a request never waits long.</summary>
    private const int MaxTransactionAttempts = 3;

    private static readonly TransactionOptions Transaction = new(ReadConcern.Majority, ReadPreference.Primary, WriteConcern.WMajority);

    public Task<CommitResult> CommitAsync(IReadOnlyList<NotificationChange> changes, CancellationToken ct = default) => Run(async t =>
    {
        using var session = await _client.StartSessionAsync(cancellationToken: t);
        for (var attempt = 1; ; attempt++)
        {
            session.StartTransaction(Transaction);
            try
            {
                var result = await ApplyAsync(session, changes, t);
                await CommitTransactionAsync(session, t);
                return result;
            }
            catch (Exception e) when (attempt < MaxTransactionAttempts && IsRetryable(e))
            {
                await AbortQuietlyAsync(session);
                LogTransactionRetried(e, attempt);
            }
            catch
            {
                await AbortQuietlyAsync(session);
                throw;
            }
        }
    }, ct);

    private async Task<CommitResult> ApplyAsync(IClientSessionHandle session, IReadOnlyList<NotificationChange> changes, CancellationToken ct)
    {
        HashSet<string>? skipped = null;
        foreach (var change in changes)
        {
            // A firing applies only if it removes its timer: another node that fired it first wins (a concurrent delete is
            // a write conflict, retried, after which this one finds nothing to delete).
            if (change.FiredTimer is { } fired && (await _timers.DeleteOneAsync(session, Q.Timers([fired]), cancellationToken: ct)).DeletedCount == 0)
            {
                (skipped ??= []).Add(change.NotificationId);
                continue;
            }
            if (change.Insert is { } n)
            {
                if (n.IdempotencyKey is { } key)
                {
                    var since = change.IdempotentSince ?? n.CreatedAt.AddHours(-24);
                    if (await _idempotency.Find(session, Q.IdempotencyUsedSince(n.AppId, key, since)).FirstOrDefaultAsync(ct) is { } used)
                    {
                        var first = await _notifications.Find(session, Q.Notification(used.NotificationId)).Project<NotificationDoc>(Q.ResponseOnly)
                            .FirstOrDefaultAsync(ct);
                        return new CommitResult(used.NotificationId, first?.Response ?? "{}");
                    }
                    try
                    {
                        await _idempotency.UpdateOneAsync(session, Q.IdempotencyKey(n.AppId, key), Q.ClaimIdempotency(n.Id, n.CreatedAt),
                            new UpdateOptions { IsUpsert = true }, ct);
                    }
                    catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey)
                    {
                        // Another node took the key after this transaction's snapshot: run again, and see its notification.
                        throw new IdempotencyRaceException(e);
                    }
                }
                var doc = ToDoc(n, change.ResponseJson);
                doc.Deliveries = NewDeliveries(change);
                doc.Trace = [.. change.Trace];
                doc.Attempts = [.. change.Attempts];
                await _notifications.InsertOneAsync(session, doc, cancellationToken: ct);
            }
            else if (Q.ChangeNotification(change, out var filter, out var arrayFilters, out var pushDeliveries) is { } update)
            {
                var options = new UpdateOptions { ArrayFilters = arrayFilters.Count > 0 ? arrayFilters : null };
                var result = await _notifications.UpdateOneAsync(session, filter, update, options, ct);
                if (result.MatchedCount == 0 && change.Update is not null && change.ExpectedStatus is not null)
                {
                    (skipped ??= []).Add(change.NotificationId);
                    continue;
                }
                if (pushDeliveries is not null)
                    await _notifications.UpdateOneAsync(session, Q.Notification(change.NotificationId), pushDeliveries, cancellationToken: ct);
            }
            if (change.DeleteAllTimers) await _timers.DeleteManyAsync(session, Q.TimersOf(change.NotificationId), cancellationToken: ct);
            if (change.DeletedTimers.Count > 0) await _timers.DeleteManyAsync(session, Q.Timers(change.DeletedTimers), cancellationToken: ct);
            if (change.Events.Count > 0) await _webhooks.InsertManyAsync(session, change.Events.Select(ToDoc), cancellationToken: ct);
            if (!change.DeleteAllTimers && change.NewTimers.Count > 0)
                await _timers.InsertManyAsync(session, change.NewTimers.Select(t => ToDoc(t, change.NewTimersLease)), cancellationToken: ct);
        }
        return skipped is null ? CommitResult.Applied : new CommitResult(null, null, skipped);
    }

    /// <summary>Commits; a commit whose outcome is unknown (a network error on the way back) is sent again, which MongoDB makes safe.</summary>
    private static async Task CommitTransactionAsync(IClientSessionHandle session, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await session.CommitTransactionAsync(ct);
                return;
            }
            catch (MongoException e) when (attempt < MaxTransactionAttempts && e.HasErrorLabel("UnknownTransactionCommitResult") && !IsUnavailable(e))
            {
            }
        }
    }

    private static async Task AbortQuietlyAsync(IClientSessionHandle session)
    {
        if (!session.IsInTransaction) return;
        try { await session.AbortTransactionAsync(CancellationToken.None); }
        catch (Exception e) when (e is MongoException or TimeoutException or InvalidOperationException) { }
    }

    private static bool IsRetryable(Exception e) =>
        e is IdempotencyRaceException || (e is MongoException m && m.HasErrorLabel("TransientTransactionError") && !IsUnavailable(e));

    private sealed class IdempotencyRaceException(Exception inner) : Exception("Another commit took the idempotency key.", inner);
}
