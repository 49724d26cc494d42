using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Notify.Engine.Storage;

namespace Notify.Storage.MongoDb.Tests;

/// <summary>The one behaviour against a network that runs here: nothing listens on 127.0.0.1:1, so every call must fail
/// fast with a message naming MongoDB and the address, and each call must try again (no cached failure).</summary>
public sealed class UnreachableServerTests
{
    private static MongoStore Open() => new(new MongoOptions
    {
        ConnectionString = "mongodb://user:secret@127.0.0.1:1/?directConnection=true",
        ServerSelectionTimeout = TimeSpan.FromSeconds(1),
    }, NullLogger<MongoStore>.Instance);

    [Fact]
    public async Task Ping_NothingListening_FailsWithinTheSelectionTimeout_NamingMongoDbAndAddressNotCredentials()
    {
        using var store = Open();
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.PingAsync());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("MongoDB at 127.0.0.1:1", e.Message);
        Assert.Contains("1 s", e.Message);
        Assert.DoesNotContain("secret", e.Message);
        Assert.Equal("127.0.0.1:1", store.Address);
    }

    [Fact]
    public async Task Commit_NothingListening_IsStoreUnavailable_AndTheNextCallTriesAgain()
    {
        using var store = Open();

        var first = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync([new NotificationChange("ntf_1") { DeleteAllTimers = true }]));
        var second = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetUserAsync("app", "ana"));

        // A fresh failure (a new server selection), not the first one replayed from a cached task.
        Assert.IsType<TimeoutException>(second.InnerException);
        Assert.NotSame(first.InnerException, second.InnerException);
    }
}
