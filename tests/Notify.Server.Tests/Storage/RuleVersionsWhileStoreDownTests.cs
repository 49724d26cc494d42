using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Server.Hosting;
using Notify.Server.Rules;
using Notify.Server.Tests.Infrastructure;
using Notify.Storage.Sqlite;

namespace Notify.Server.Tests.Storage;

/// <summary>
/// A node that starts while its store is unreachable (a MongoDB outage) still starts: the rules from the folder go live,
/// and their versions reach the store once it is back. Before, the start-up failed on the first rule version it could
/// not save. The store here is a real SQLite file behind a switch that makes it refuse as an unreachable MongoDB does.
/// </summary>
public sealed class RuleVersionsWhileStoreDownTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("notify-rules-down-").FullName;
    private readonly SqliteStore _sqlite;
    private readonly INotifyStore _store;
    private readonly Switch _switch;

    public RuleVersionsWhileStoreDownTests()
    {
        _sqlite = new SqliteStore(new SqliteOptions { Path = Path.Combine(_dir, "notify.db") }, NullLogger<SqliteStore>.Instance);
        (_store, _switch) = Switch.Wrap(_sqlite);
        Directory.CreateDirectory(Path.Combine(_dir, "rules"));
        File.WriteAllText(Path.Combine(_dir, "rules", "default.yaml"), NotifyTestServer.DefaultRule);
    }

    [Fact]
    public async Task Start_StoreUnavailable_RulesGoLive_AndTheirVersionsAreSavedWhenItIsBack()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T10:00:00Z"));
        var rules = new RuleSet();
        var catalog = new RuleCatalog(rules, _store, Options.Create(new RulesOptions { Directory = Path.Combine(_dir, "rules"), Watch = false, RescanInterval = TimeSpan.Zero }),
            time, NullLogger<RuleCatalog>.Instance);
        _switch.Down = true;

        await catalog.StartAsync(CancellationToken.None);

        var live = Assert.Single(rules.Rules).Value;
        Assert.Equal(1, catalog.UnsavedVersions);
        _switch.Down = false;
        Assert.Null(await _sqlite.GetRuleVersionSourceAsync(live.Version));

        // The next attempt comes after StoreRetry.Pause; advance the fake clock until it has run.
        await Waits.UntilAsync(() =>
        {
            time.Advance(StoreRetry.Pause);
            return catalog.UnsavedVersions == 0;
        }, "the rule version saved after the store came back");
        Assert.Equal(live.Source, await _sqlite.GetRuleVersionSourceAsync(live.Version));
        await catalog.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Start_StoreAvailable_VersionSavedAtOnce_NothingLeftToSave()
    {
        var rules = new RuleSet();
        var catalog = new RuleCatalog(rules, _store, Options.Create(new RulesOptions { Directory = Path.Combine(_dir, "rules"), Watch = false, RescanInterval = TimeSpan.Zero }),
            new FakeTimeProvider(), NullLogger<RuleCatalog>.Instance);

        await catalog.StartAsync(CancellationToken.None);

        Assert.Equal(0, catalog.UnsavedVersions);
        Assert.NotNull(await _sqlite.GetRuleVersionSourceAsync(Assert.Single(rules.Rules).Value.Version));
        await catalog.StopAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _sqlite.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>Passes every call to the real store, or, while <see cref="Down"/>, fails it as an unreachable MongoDB does.</summary>
    public class Switch : DispatchProxy
    {
        private INotifyStore _inner = null!;

        public volatile bool Down;

        public static (INotifyStore Store, Switch Switch) Wrap(INotifyStore inner)
        {
            var proxy = Create<INotifyStore, Switch>();
            var s = (Switch)(object)proxy;
            s._inner = inner;
            return (proxy, s);
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (Down) throw new StoreUnavailableException("MongoDB at 127.0.0.1:1 is unreachable: test switch");
            try { return targetMethod!.Invoke(_inner, args); }
            catch (TargetInvocationException e) when (e.InnerException is not null) { throw e.InnerException; }
        }
    }
}
