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
/// is a handful of small files, and content already live is left alone.</para>
/// </remarks>
internal sealed class RuleWatcher : IAsyncDisposable
{
    /// <summary>Temp files of <see cref="RuleCatalog"/>'s atomic writes end so; their rename into place is the event that counts.</summary>
    public const string TempSuffix = ".tmp";

    private readonly FileSystemWatcher _watcher;
    private readonly Channel<string?> _events = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<IReadOnlyCollection<string>, bool, CancellationToken, Task> _reload;
    private readonly TimeSpan _debounce;
    private readonly ILogger _logger;
    private readonly Task _loop;

    /// <param name="reload">Called with the changed file names and whether to read the whole folder.</param>
    public RuleWatcher(string directory, TimeSpan debounce, Func<IReadOnlyCollection<string>, bool, CancellationToken, Task> reload, ILogger logger)
    {
        _reload = reload;
        _debounce = debounce;
        _logger = logger;
        _watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Created += (_, e) => Queue(e.Name);
        _watcher.Changed += (_, e) => Queue(e.Name);
        _watcher.Deleted += (_, e) => Queue(e.Name);
        _watcher.Renamed += (_, e) =>
        {
            Queue(e.OldName);
            Queue(e.Name);
        };
        _watcher.Error += (_, e) =>
        {
            RuleLog.WatcherError(_logger, directory, e.GetException());
            _events.Writer.TryWrite(null);
        };
        _watcher.EnableRaisingEvents = true;
        _loop = Task.Run(RunAsync);
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
        _watcher.EnableRaisingEvents = false;
        _watcher.Dispose();
        _events.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
