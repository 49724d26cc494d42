using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Notify.Storage.Sqlite;

/// <summary>
/// The only connection that writes. Requests queue here; the loop takes every queued write (up to
/// <see cref="SqliteOptions.MaxBatch"/>), runs each in its own savepoint inside one transaction and commits
/// once, then completes all their tasks. Many concurrent requests thus share one commit, no request
/// holds a lock while another waits on the database, and one failing write does not undo its neighbours.
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly int _maxBatch;
    private readonly ILogger _logger;
    private readonly Task _loop;

    /// <param name="setup">Run once on the writer's connection before any write (its PRAGMAs).</param>
    public SqliteWriter(string connectionString, string setup, int maxBatch, ILogger logger)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        using (var cmd = _connection.CreateCommand())
        {
            cmd.CommandText = setup;
            cmd.ExecuteNonQuery();
        }
        _maxBatch = maxBatch;
        _logger = logger;
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Runs <paramref name="work"/> in the next batch; completes once that batch is committed.</summary>
    public Task<T> WriteAsync<T>(Func<Batch, T> work, CancellationToken ct = default)
    {
        var op = new WriteOp<T>(work);
        if (!_queue.Writer.TryWrite(op)) throw new ObjectDisposedException(nameof(SqliteWriter), "The store is shutting down.");
        return op.Task.WaitAsync(ct);
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteOp>(_maxBatch);
        var context = new Batch(this);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var op)) batch.Add(op);
            try
            {
                using var tx = _connection.BeginTransaction(deferred: false);
                context.Transaction = tx;
                foreach (var op in batch)
                {
                    Exec("SAVEPOINT op", tx);
                    try
                    {
                        op.Run(context);
                        Exec("RELEASE op", tx);
                    }
                    catch (Exception e)
                    {
                        Exec("ROLLBACK TO op", tx);
                        Exec("RELEASE op", tx);
                        op.Fail(e);
                    }
                }
                tx.Commit();
                foreach (var op in batch) op.Complete();
            }
            catch (Exception e)
            {
                LogBatchFailed(e, batch.Count);
                foreach (var op in batch) op.Fail(e);
            }
            finally
            {
                context.Transaction = null;
            }
        }
    }

    private void Exec(string sql, SqliteTransaction tx)
    {
        var cmd = Command(sql);
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            _commands[sql] = cmd;
        }
        cmd.Parameters.Clear();
        return cmd;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        foreach (var cmd in _commands.Values) cmd.Dispose();
        await _connection.DisposeAsync();
    }

    /// <summary>What a write sees: prepared commands on the writer's connection, inside the batch's transaction.</summary>
    internal sealed class Batch(SqliteWriter writer)
    {
        public SqliteTransaction? Transaction { get; set; }

        public int Execute(string sql, params object?[] args) => Prepare(sql, args).ExecuteNonQuery();

        public object? Scalar(string sql, params object?[] args) => Prepare(sql, args).ExecuteScalar();

        /// <summary>Rows of a statement that writes and returns (<c>UPDATE … RETURNING</c>).</summary>
        public List<T> Many<T>(string sql, Func<SqliteDataReader, T> map, params object?[] args)
        {
            using var reader = Prepare(sql, args).ExecuteReader();
            var rows = new List<T>();
            while (reader.Read()) rows.Add(map(reader));
            return rows;
        }

        private SqliteCommand Prepare(string sql, object?[] args)
        {
            var cmd = writer.Command(sql);
            cmd.Transaction = Transaction;
            for (var i = 0; i < args.Length; i++) cmd.Parameters.AddWithValue("$" + (i + 1), args[i] ?? DBNull.Value);
            return cmd;
        }
    }

    private abstract class WriteOp
    {
        public abstract void Run(Batch batch);
        public abstract void Complete();
        public abstract void Fail(Exception e);
    }

    private sealed class WriteOp<T>(Func<Batch, T> work) : WriteOp
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private bool _failed;
        public Task<T> Task => _tcs.Task;
        public override void Run(Batch batch) => _result = work(batch);
        public override void Complete() { if (!_failed) _tcs.TrySetResult(_result!); }
        public override void Fail(Exception e) { _failed = true; _tcs.TrySetException(e); }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {Count} writes failed to commit; each caller gets the error")]
    private partial void LogBatchFailed(Exception e, int count);
}
