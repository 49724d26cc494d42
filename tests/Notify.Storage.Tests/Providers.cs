using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Driver;
using Notify.Engine.Storage;
using Notify.Storage.MongoDb;
using Notify.Storage.Sqlite;

namespace Notify.Storage.Tests;

/// <summary>The contract on a real SQLite file in a temp folder.</summary>
public sealed class SqliteContractTests : StoreContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("notify-contract-").FullName;

    protected override string? SkipReason => null;

    protected override Task<INotifyStore> OpenAsync() =>
        Task.FromResult<INotifyStore>(new SqliteStore(new SqliteOptions { Path = Path.Combine(_dir, "notify.db") }, NullLogger<SqliteStore>.Instance));

    protected override async Task CloseAsync(INotifyStore store) => await ((SqliteStore)store).DisposeAsync();

    protected override Task DropAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>The contract on a real MongoDB replica set named by <c>NOTIFY_TEST_MONGODB</c> (a fresh database per test, dropped after);
/// every test is reported skipped when it is not set.</summary>
public sealed class MongoContractTests : StoreContract
{
    public const string Variable = "NOTIFY_TEST_MONGODB";
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable(Variable);
    private readonly string _database = "notify_test_" + Guid.NewGuid().ToString("N")[..12];

    protected override string? SkipReason => string.IsNullOrWhiteSpace(ConnectionString)
        ? $"{Variable} is not set: no MongoDB to run the storage contract against (set it to a replica set's connection string, e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0)"
        : null;

    protected override Task<INotifyStore> OpenAsync() => Task.FromResult<INotifyStore>(
        new MongoStore(new MongoOptions { ConnectionString = ConnectionString!, Database = _database }, NullLogger<MongoStore>.Instance));

    protected override Task CloseAsync(INotifyStore store)
    {
        ((MongoStore)store).Dispose();
        return Task.CompletedTask;
    }

    protected override async Task DropAsync()
    {
        using var client = new MongoClient(ConnectionString);
        await client.DropDatabaseAsync(_database);
    }
}
