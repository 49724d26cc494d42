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

    [Fact]
    public async Task Open_SchemaVersion3File_AddsTheLeaseColumns_AndItsTimersStartFree()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(DbPath);
        using (var old = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            old.Open();
            using var cmd = old.CreateCommand();
            // The timers table as version 3 made it, with one pending timer (and its notifications table, which later upgrades alter).
            cmd.CommandText = """
                CREATE TABLE notifications (
                    id TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, category TEXT NOT NULL, title TEXT, body TEXT,
                    data_json TEXT, priority TEXT NOT NULL, idempotency_key TEXT, collapse_key TEXT, created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, rule_name TEXT NOT NULL, rule_version TEXT NOT NULL, status TEXT NOT NULL,
                    step INTEGER NOT NULL, ack_at INTEGER, ack_by TEXT, response_json TEXT, hold_kind TEXT, hold_step INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE timers (id TEXT PRIMARY KEY, notification_id TEXT NOT NULL, kind TEXT NOT NULL, step INTEGER NOT NULL,
                    due_at INTEGER NOT NULL, attempt INTEGER NOT NULL DEFAULT 0);
                INSERT INTO timers VALUES ('t1', 'n1', 'FollowUp', 0, 1790000060000, 0);
                PRAGMA user_version=3;
                """;
            cmd.ExecuteNonQuery();
        }

        _store = Open();

        var claimed = await _store.ClaimTimersAsync("a", T0.AddMinutes(5), T0, T0.AddMinutes(1), 10);
        Assert.Equal(new TimerRecord("t1", "n1", TimerKind.FollowUp, 0, T0.AddMinutes(1)), Assert.Single(claimed));
    }

    [Fact]
    public async Task Open_SchemaVersion4File_AddsTheInlineTrace_AndReadsOldTraceRowsWithNewOnes()
    {
        await _store.CommitAsync([Insert(Note("n1"))]);
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        using (var old = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            old.Open();
            using var cmd = old.CreateCommand();
            // Back to version 4: the first decision's trace in a trace row, no trace_json column.
            cmd.CommandText = """
                INSERT INTO trace (notification_id, entries_json) SELECT id, trace_json FROM notifications;
                ALTER TABLE notifications DROP COLUMN trace_json;
                PRAGMA user_version=4;
                """;
            cmd.ExecuteNonQuery();
        }

        _store = Open();
        var later = new NotificationChange("n1");
        later.Trace.Add(new TraceEntry(T0.AddMinutes(2), 1, null, "follow-up"));
        await _store.CommitAsync([later]);
        await _store.CommitAsync([Insert(Note("n2"))]);

        Assert.Equal(["picked d1", "follow-up"], (await _store.GetNotificationAsync("n1"))!.Trace.Select(t => t.Message));
        Assert.Equal(["picked d1"], (await _store.GetNotificationAsync("n2"))!.Trace.Select(t => t.Message));
        using var check = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        check.Open();
        using var q = check.CreateCommand();
        q.CommandText = "SELECT (SELECT COUNT(*) FROM trace WHERE notification_id='n2') || '/' || (SELECT user_version FROM pragma_user_version)";
        Assert.Equal("0/5", q.ExecuteScalar()); // n2's trace is inline: no trace row
    }
}
