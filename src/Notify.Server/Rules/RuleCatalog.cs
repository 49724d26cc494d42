using Microsoft.Extensions.Options;
using Notify.Engine.Rules;
using Notify.Engine.Storage;

namespace Notify.Server.Rules;

/// <summary>
/// Keeps <see cref="RuleSet"/> equal to the rules folder, the source of truth: reads it at start, watches it, and
/// carries out API edits by writing files into it. Every version that goes live has its source saved in the store,
/// so follow-ups of a notification keep their rule version across edits, restarts and nodes.
/// </summary>
/// <remarks>
/// One gate serializes the start, every reload and every API edit, so they never interleave. An API write is made
/// live at once; when the watcher then reports the same file, its content equals what is live and nothing happens.
/// </remarks>
public sealed class RuleCatalog(RuleSet rules, INotifyStore store, IOptions<RulesOptions> options, TimeProvider time, ILogger<RuleCatalog> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    // Live versions whose source the store refused (unavailable), saved again in the background; guarded by _gate.
    private readonly Dictionary<string, Rule> _unsaved = new(StringComparer.Ordinal);
    private Task _savingUnsaved = Task.CompletedTask;
    private RuleWatcher? _watcher;

    /// <summary>The rules folder (absolute).</summary>
    public string Directory => options.Value.Directory;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            var problem = RuleDirectory.Missing(Directory);
            rules.Replace([], [problem]);
            RuleLog.FolderProblem(logger, problem.ToString());
            return;
        }
        // Watch first, then read: an edit made during the read is seen by the watcher, and content already read is left alone.
        var o = options.Value;
        if (o.Watch || o.RescanInterval > TimeSpan.Zero)
            _watcher = new RuleWatcher(Directory, o.Watch, o.WatchDebounce, o.RescanInterval, ReloadAsync, logger);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ApplyAsync(ReadFiles(RuleDirectory.List(Directory)), starting: true, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
        RuleLog.Loaded(logger, rules.Rules.Count, Directory, string.Join(", ", rules.Rules.Keys.Order(StringComparer.Ordinal)));
        if (!rules.Rules.ContainsKey(RuleSet.DefaultRuleName)) RuleLog.NoDefault(logger, RuleSet.DefaultRuleName);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _watcher, null) is { } watcher) await watcher.DisposeAsync();
        if (!_stopping.IsCancellationRequested) await _stopping.CancelAsync();
        try { await _savingUnsaved; }
        catch (OperationCanceledException) { }
    }

    /// <summary>Versions that are live but not yet saved in the store (it was unavailable); saved again every few seconds.</summary>
    public int UnsavedVersions => Volatile.Read(ref _unsavedCount);

    private int _unsavedCount;

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));

    /// <summary>Reads changed files again (or the whole folder) and makes the result live. Called by the watcher.</summary>
    public async Task ReloadAsync(IReadOnlyCollection<string> files, bool everything, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var names = everything ? RuleDirectory.List(Directory).Union(rules.Files.Keys, StringComparer.Ordinal) : files;
            await ApplyAsync(ReadFiles(names), starting: false, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Creates or replaces the rule <paramref name="name"/>: checked like a file of the folder, then written to
    /// <c>{name}.yaml</c> (or the <c>.yml</c> file that already holds it) and made live. A refused edit changes nothing.
    /// </summary>
    public async Task<RuleEdit> PutAsync(string name, string source, CancellationToken ct)
    {
        // Parsed (and its conditions compiled and tried) before taking the gate: that work depends on the text alone,
        // and the gate is shared with every reload and edit.
        var parsedFile = rules.FindFile(name)?.File ?? name + ".yaml";
        var early = RuleParser.Parse(source, name, parsedFile);
        await _gate.WaitAsync(ct);
        try
        {
            var existing = rules.FindFile(name);
            var file = existing?.File ?? name + ".yaml";
            if (Path.GetFileNameWithoutExtension(file) != name)
                return new RuleEdit.Refused(409, "rule-file-mismatch",
                    $"The rule '{name}' is defined in {file}, whose file name differs; edit that file, or rename it to {name}.yaml first.", []);
            if (existing is null && rules.Files.TryGetValue(file, out var other))
                return new RuleEdit.Refused(409, "rule-file-mismatch",
                    $"{file} holds the rule '{other.Name}'; a file holds one rule, named after it. Rename or delete {file} first.", []);

            var parsed = file == parsedFile ? early : RuleParser.Parse(source, name, file);
            if (parsed.Rule is not { } rule)
                return new RuleEdit.Refused(422, "invalid-rule",
                    $"The rule has {parsed.Problems.Count} problem(s); fix each at its line and column. The live version is unchanged.", parsed.Problems);
            if (rule.Name != name)
                return new RuleEdit.Refused(422, "name-mismatch",
                    $"The body names the rule '{rule.Name}' but the URL names '{name}'; make them agree, or leave 'name' out of the body.", []);
            var conflicts = rules.Conflicts(rule, file);
            if (conflicts.Count > 0)
                return new RuleEdit.Refused(422, "category-taken",
                    $"{string.Join("; ", conflicts.Select(c => c.Message))}. Remove it from one of the two rules. The live version is unchanged.", conflicts);

            // The version is in the store before anything can start a notification with it.
            await store.SaveRuleVersionAsync(rule.Name, rule.Version, rule.Source, time.GetUtcNow(), ct);
            try
            {
                await WriteAsync(file, source, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new RuleEdit.Refused(503, "rules-folder-unwritable",
                    $"The rules folder cannot be written ({e.Message}); give the server write access to {Directory}, or edit the files where they are deployed.", []);
            }
            await ApplyAsync([new RuleFileChange(file, source)], starting: false, ct);
            var state = rules.Files[file];
            return state.Active?.Version == rule.Version
                ? new RuleEdit.Saved(state, Created: existing?.Active is null)
                : new RuleEdit.Refused(422, "invalid-rule", "The rule was written but refused; the live version is unchanged.", state.Problems);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Deletes the file that holds the rule <paramref name="name"/> and takes the rule out of service.</summary>
    public async Task<RuleEdit> DeleteAsync(string name, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (rules.FindFile(name) is not { } existing) return new RuleEdit.Refused(404, "not-found", $"There is no rule '{name}'.", []);
            try
            {
                File.Delete(Path.Combine(Directory, existing.File));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new RuleEdit.Refused(503, "rules-folder-unwritable",
                    $"{existing.File} cannot be deleted ({e.Message}); give the server write access to {Directory}.", []);
            }
            await ApplyAsync([new RuleFileChange(existing.File, null)], starting: false, ct);
            return new RuleEdit.Deleted(existing);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Checks a rule as <see cref="PutAsync"/> would, without saving anything: the format, the name (when given) and
    /// the names and categories that live rules of other files hold.
    /// </summary>
    public (Rule? Rule, IReadOnlyList<RuleProblem> Problems) Validate(string source, string? name)
    {
        var parsed = RuleParser.Parse(source, name ?? "rule");
        if (parsed.Rule is not { } rule) return (null, parsed.Problems);
        var problems = new List<RuleProblem>();
        if (name is not null && rule.Name != name)
            problems.Add(new RuleProblem(null, 1, 1, $"the body names the rule '{rule.Name}' but ?name= says '{name}'; make them agree, or leave 'name' out"));
        var file = rules.FindFile(rule.Name)?.File ?? rule.Name + ".yaml";
        problems.AddRange(rules.Conflicts(rule, file).Select(p => p with { File = null }));
        return (rule, problems);
    }

    private List<RuleFileChange> ReadFiles(IEnumerable<string> files)
    {
        var changes = new List<RuleFileChange>();
        foreach (var file in files)
        {
            try
            {
                changes.Add(RuleDirectory.Read(Directory, file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                RuleLog.Unreadable(logger, file, e);
            }
        }
        return changes;
    }

    private async Task ApplyAsync(IReadOnlyCollection<RuleFileChange> changes, bool starting, CancellationToken ct)
    {
        var hadDefault = rules.Rules.ContainsKey(RuleSet.DefaultRuleName);
        var now = time.GetUtcNow();
        var update = rules.Apply(changes, now);
        if (!update.Changed) return;
        foreach (var refused in update.Refused)
        {
            foreach (var p in refused.Problems) RuleLog.Refused(logger, refused.File, p.Line, p.Column, p.Message);
            if (refused.Active is { } kept) RuleLog.KeptLastGood(logger, refused.File, kept.Name, kept.Version);
        }
        foreach (var gone in update.Removed) RuleLog.Removed(logger, gone.File, gone.Name);
        foreach (var rule in update.Activated)
        {
            if (!starting) RuleLog.Activated(logger, rule.Name, rule.Version, rule.File);
            try
            {
                await store.SaveRuleVersionAsync(rule.Name, rule.Version, rule.Source, now, ct);
            }
            catch (StoreUnavailableException e)
            {
                // The rule is live from the folder; its source reaches the store when the store is back. Meanwhile no
                // notification can be committed either, so nothing refers to a version the store lacks (but a few seconds
                // after it comes back, until the next attempt: see docs/operations.md).
                RuleLog.VersionNotSaved(logger, rule.Name, rule.Version, e.Message);
                _unsaved[rule.Version] = rule;
                Volatile.Write(ref _unsavedCount, _unsaved.Count);
            }
        }
        if (_unsaved.Count > 0 && _savingUnsaved.IsCompleted)
            _savingUnsaved = Notify.Server.Hosting.StoreRetry.UntilAvailableAsync(SaveUnsavedAsync, "saving rule versions", time, logger, _stopping.Token, pauseFirst: true);
        if (hadDefault && !rules.Rules.ContainsKey(RuleSet.DefaultRuleName)) RuleLog.NoDefault(logger, RuleSet.DefaultRuleName);
    }

    private async Task SaveUnsavedAsync(CancellationToken ct)
    {
        // Yield first: the caller holds the gate.
        await Task.Yield();
        await _gate.WaitAsync(ct);
        try
        {
            foreach (var rule in _unsaved.Values.ToList())
            {
                await store.SaveRuleVersionAsync(rule.Name, rule.Version, rule.Source, time.GetUtcNow(), ct);
                _unsaved.Remove(rule.Version);
                Volatile.Write(ref _unsavedCount, _unsaved.Count);
                RuleLog.VersionSaved(logger, rule.Name, rule.Version);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes a temp file beside the target, flushed to disk, then renames it over the target: a reader
    /// (the watcher, another node sharing the folder) sees the old content or the new, never half of it.</summary>
    private async Task WriteAsync(string file, string source, CancellationToken ct)
    {
        var temp = Path.Combine(Directory, $".{file}.{Guid.NewGuid():N}{RuleWatcher.TempSuffix}");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await stream.WriteAsync(new System.Text.UTF8Encoding(false).GetBytes(source), ct);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, Path.Combine(Directory, file), overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}

/// <summary>The outcome of an edit through the API.</summary>
public abstract record RuleEdit
{
    /// <summary>Written and live; <paramref name="Created"/> when the rule had no live version before.</summary>
    public sealed record Saved(RuleFile File, bool Created) : RuleEdit;

    /// <summary>The file was deleted; it held <paramref name="File"/>.</summary>
    public sealed record Deleted(RuleFile File) : RuleEdit;

    /// <summary>Refused; nothing changed. <paramref name="Problems"/> lists every problem with its line and column.</summary>
    public sealed record Refused(int Status, string Code, string Detail, IReadOnlyList<RuleProblem> Problems) : RuleEdit;
}
