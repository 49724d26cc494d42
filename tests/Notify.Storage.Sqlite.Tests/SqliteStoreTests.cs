using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Data.Sqlite;
using Notify.Engine.Model;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Storage.Sqlite;

namespace Notify.Storage.Sqlite.Tests;

/// <summary>What only the SQLite store promises (its batching writer); the storage contract itself is in tests/Notify.Storage.Tests.</summary>
public sealed class SqliteStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
    private readonly string _dir = Directory.CreateTempSubdirectory("notify-store-").FullName;
    private SqliteStore _store = null!;

    private string DbPath => Path.Combine(_dir, "notify.db");

    public Task InitializeAsync()
    {
        _store = Open();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private SqliteStore Open() => new(new SqliteOptions { Path = DbPath }, NullLogger<SqliteStore>.Instance);

    private static Notification Note(string id, string? idempotencyKey = null, string? collapseKey = null) => new()
    {
        Id = id, AppId = "app", UserId = "ana", Category = "mention", Title = "t", Priority = Priority.High, CreatedAt = T0,
        ExpiresAt = T0.AddHours(1), RuleName = "r", RuleVersion = "v1", Status = NotificationStatus.Delivered, Step = 0,
        IdempotencyKey = idempotencyKey, CollapseKey = collapseKey, Data = new() { ["threadId"] = "t9" },
    };

    private static NotificationChange Insert(Notification n, params Delivery[] deliveries)
    {
        var change = new NotificationChange(n.Id) { Insert = n, ResponseJson = $"{{\"notificationId\":\"{n.Id}\"}}" };
        change.NewDeliveries.AddRange(deliveries);
        change.Trace.Add(new TraceEntry(T0, 0, "d1", "picked d1"));
        change.NewTimers.Add(new TimerRecord("t-" + n.Id, n.Id, TimerKind.FollowUp, 0, T0.AddMinutes(2)));
        return change;
    }

    [Fact]
    public async Task Commit_ConcurrentWrites_ShareBatches_AndAllLand()
    {
        var writes = Enumerable.Range(0, 200).Select(i => _store.CommitAsync([Insert(Note($"n{i}"))]));
        await Task.WhenAll(writes);
        for (var i = 0; i < 200; i++) Assert.NotNull(await _store.GetNotificationAsync($"n{i}"));
    }

    [Fact]
    public async Task Commit_OneFailingWrite_DoesNotUndoItsNeighbours()
    {
        await _store.CommitAsync([Insert(Note("n1"))]);
        var duplicateId = _store.CommitAsync([Insert(Note("n1"))]);
        var fine = _store.CommitAsync([Insert(Note("n2"))]);

        await Assert.ThrowsAsync<SqliteException>(() => duplicateId);
        await fine;
        Assert.NotNull(await _store.GetNotificationAsync("n2"));
    }
}
