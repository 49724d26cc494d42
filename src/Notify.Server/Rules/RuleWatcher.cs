using System.Threading.Channels;
using Notify.Engine.Rules;

namespace Notify.Server.Rules;

/// <summary>
/// Watches the rules folder and hands the names of changed rule files to a reload, a burst at a time.
/// </summary>
/// <remarks>
/// <para>The first event opens a window of <see cref="RulesOptions.WatchDebounce"/>; every event inside it joins the
/// same reload, so an editor's save (truncate, write, rename: several events) is read once, whole. A burst that
/// straddles the window is read twice; the first read may be refused as half-written, the second fixes it, and the
/// last good version serves in between.</para>
/// <para>The window runs on real time (<see cref="TimeProvider.System"/>), not the injected clock: it paces disk
/// events that happen in the real world, and the injected clock (faked in tests, moved by minutes to fire follow-ups)
/// says nothing about when a file has finished being written.</para>
/// <para>An event for anything that is not a rule file (a Kubernetes ConfigMap swaps its <c>..data</c> link, an
/// editor renames a swap file into place) or a lost-events error makes the next reload read the whole folder; that
/// is a handful of small files, and content already live is left alone. So does every
/// <see cref="RulesOptions.RescanInterval"/>, for mounts that raise no events; and when events cannot be watched at
/// all (the inotify instance limit is reached), rescanning is what remains, rather than a server that does not start.</para>
/// </remarks>
internal sealed class RuleWatcher : IAsyncDisposable
{
    /// <summary>Temp files of <see cref="RuleCatalog"/>'s atomic writes end so; their rename into place is the event that counts.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>How often to rescan when events cannot be watched and no <see cref="RulesOptions.RescanInterval"/> is set.</summary>
    private static readonly TimeSpan FallbackRescan = TimeSpan.FromSeconds(5);

    private readonly FileSystemWatcher? _watcher;
    private readonly Channel<string?> _events = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<IReadOnlyCollection<string>, bool, CancellationToken, Task> _reload;
    private readonly TimeSpan _debounce;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly Task _rescans;

    /// <param name="events">Whether to watch file-system events.</param>
    /// <param name="rescan">How often to read the whole folder regardless; zero for never.</param>
    /// <param name="reload">Called with the changed file names and whether to read the whole folder.</param>
    public RuleWatcher(string directory, bool events, TimeSpan debounce, TimeSpan rescan,
        Func<IReadOnlyCollection<string>, bool, CancellationToken, Task> reload, ILogger logger)
    {
        _reload = reload;
        _debounce = debounce;
        _logger = logger;
        if (events)
        {
            _watcher = Watch(directory);
            if (_watcher is null && rescan == TimeSpan.Zero) rescan = FallbackRescan;
        }
        _loop = Task.Run(RunAsync);
        _rescans = rescan > TimeSpan.Zero ? Task.Run(() => RescanAsync(rescan)) : Task.CompletedTask;
    }

    private FileSystemWatcher? Watch(string directory)
    {
        var watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        watcher.Created += (_, e) => Queue(e.Name);
        watcher.Changed += (_, e) => Queue(e.Name);
        watcher.Deleted += (_, e) => Queue(e.Name);
        watcher.Renamed += (_, e) =>
        {
            Queue(e.OldName);
            Queue(e.Name);
        };
        watcher.Error += (_, e) =>
        {
            RuleLog.WatcherError(_logger, directory, e.GetException());
            _events.Writer.TryWrite(null);
        };
        try
        {
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            RuleLog.CannotWatch(_logger, directory, e);
            watcher.Dispose();
            return null;
        }
    }

    private async Task RescanAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) _events.Writer.TryWrite(null);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Queue(string? name)
    {
        if (name is null || name.EndsWith(TempSuffix, StringComparison.Ordinal)) return;
        _events.Writer.TryWrite(RuleDirectory.IsRuleFile(name) ? name : null);
    }

    private async Task RunAsync()
    {
        var reader = _events.Reader;
        var ct = _stop.Token;
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                await Task.Delay(_debounce, TimeProvider.System, ct);
                var files = new HashSet<string>(StringComparer.Ordinal);
                var everything = false;
                while (reader.TryRead(out var name))
                {
                    if (name is null) everything = true;
                    else files.Add(name);
                }
                try
                {
                    await _reload(files, everything, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    RuleLog.ReloadFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_watcher is not null)
        {
            _watcher.EnableRaisingEvents = false;
            _watcher.Dispose();
        }
        _events.Writer.TryComplete();
        await _stop.CancelAsync();
        await Task.WhenAll(_loop, _rescans);
        _stop.Dispose();
    }
}
