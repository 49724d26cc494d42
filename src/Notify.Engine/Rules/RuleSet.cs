using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Notify.Engine.Rules;

/// <summary>
/// The live rules, kept per file of the rules folder. A file's content is parsed when it changes; a good version
/// goes live at once, a broken one is refused with every problem while the last good version of that file stays
/// active. Readers see an immutable snapshot swapped atomically; every version ever loaded stays reachable by
/// <see cref="Rule.Version"/>, because a notification follows the version it started with.
/// </summary>
/// <remarks>
/// A rule name and a category belong to one file. Live rules win over newcomers: a changed or new file that claims
/// what a live rule of another file holds is refused, and retried on every later change (so it goes live as soon as
/// the other file lets go). On the first load every file is a newcomer, so the first file in name order wins.
/// </remarks>
public sealed class RuleSet
{
    /// <summary>The rule that serves categories no other rule matches.</summary>
    public const string DefaultRuleName = "default";

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, Rule> _versions = new(StringComparer.Ordinal);
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>The active rules by name.</summary>
    public IReadOnlyDictionary<string, Rule> Rules => _snapshot.ByName;

    /// <summary>Every current problem: refused files (with file, line and column) and a missing folder.</summary>
    public IReadOnlyList<RuleProblem> Problems => _snapshot.Problems;

    /// <summary>What each file of the folder holds, by file name (e.g. <c>mention.yaml</c>).</summary>
    public IReadOnlyDictionary<string, RuleFile> Files => _snapshot.Files;

    /// <summary>Counts the changes made live; unchanged content (such as the watcher's echo of an API write) leaves it as is.</summary>
    public long Generation => _snapshot.Generation;

    /// <summary>The rule for a category: the one that matches it, else <c>default</c>.</summary>
    public Rule? Match(string category)
    {
        var s = _snapshot;
        return s.ByCategory.TryGetValue(category, out var rule) ? rule : s.ByName.GetValueOrDefault(DefaultRuleName);
    }

    /// <summary>A rule version this process has loaded, for follow-ups of older notifications.</summary>
    public Rule? FindVersion(string version) => _versions.GetValueOrDefault(version);

    /// <summary>Makes an older version (read back from the store) reachable again.</summary>
    public void Remember(Rule rule) => _versions.TryAdd(rule.Version, rule);

    /// <summary>The file that holds a rule: the one whose active rule has this name, else a refused file of that name.</summary>
    public RuleFile? FindFile(string ruleName)
    {
        var files = _snapshot.Files.Values;
        return files.FirstOrDefault(f => f.Active?.Name == ruleName) ?? files.FirstOrDefault(f => f.Name == ruleName);
    }

    /// <summary>
    /// Takes in changed files (new content, or <c>null</c> for a deleted file) and makes the result live in one swap.
    /// A file whose content equals what was last read is left alone.
    /// </summary>
    public RuleSetUpdate Apply(IEnumerable<RuleFileChange> changes, DateTimeOffset at)
    {
        lock (_gate)
        {
            var old = _snapshot;
            var files = old.Files.ToBuilder();
            var removed = new List<RuleFile>();
            var touched = new HashSet<string>(StringComparer.Ordinal);
            var changed = false;
            foreach (var change in changes)
            {
                files.TryGetValue(change.File, out var current);
                if (change.Source is null)
                {
                    if (current is null) continue;
                    files.Remove(change.File);
                    removed.Add(current);
                    changed = true;
                    continue;
                }
                if (current is not null && current.Source == change.Source) continue;
                var parsed = RuleParser.Parse(change.Source, Path.GetFileNameWithoutExtension(change.File), change.File);
                files[change.File] = new RuleFile(change.File, change.Source, parsed.Rule, current?.Active, current?.UpdatedAt,
                    parsed.Problems, parsed.Rule is null ? at : current?.RefusedAt);
                touched.Add(change.File);
                changed = true;
            }

            var (activated, refused) = Resolve(files, touched, at, ref changed);
            if (!changed) return new RuleSetUpdate([], [], [], false);
            foreach (var rule in activated) _versions.TryAdd(rule.Version, rule);
            Publish(Snapshot.Of(files.ToImmutable(), old.Loose, old.Generation + 1));
            return new RuleSetUpdate(activated, removed, refused, true);
        }
    }

    /// <summary>
    /// What would stop <paramref name="rule"/> from going live in <paramref name="file"/>: a rule name or a category
    /// that a live rule of another file holds. Empty when it may go live.
    /// </summary>
    public IReadOnlyList<RuleProblem> Conflicts(Rule rule, string file)
    {
        var claims = new Claims();
        foreach (var f in _snapshot.Files.Values)
            if (f.Active is { } active && f.File != file) claims.Add(active, f.File);
        return claims.Conflicts(rule, file);
    }

    /// <summary>
    /// Replaces everything with these rules, as if each came from its own file (<see cref="Rule.File"/>, else
    /// <c>{name}.yaml</c>), plus problems that belong to no file (such as a missing folder).
    /// </summary>
    public void Replace(IEnumerable<Rule> rules, IReadOnlyList<RuleProblem> problems)
    {
        lock (_gate)
        {
            var files = ImmutableSortedDictionary.CreateBuilder<string, RuleFile>(StringComparer.Ordinal);
            foreach (var rule in rules)
            {
                var file = rule.File ?? rule.Name + ".yaml";
                files[file] = new RuleFile(file, rule.Source, rule, rule, null, [], null);
                _versions.TryAdd(rule.Version, rule);
            }
            Publish(Snapshot.Of(files.ToImmutable(), problems, _snapshot.Generation + 1));
        }
    }

    /// <summary>Completes when <paramref name="condition"/> holds, checking it after every change. For tests and tools.</summary>
    public async Task WaitUntilAsync(Func<RuleSet, bool> condition, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _changed).Task;
            if (condition(this)) return;
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static (List<Rule> Activated, List<RuleFile> Refused) Resolve(ImmutableSortedDictionary<string, RuleFile>.Builder files,
        HashSet<string> touched, DateTimeOffset at, ref bool changed)
    {
        var claims = new Claims();
        foreach (var f in files.Values)
            if (f.Active is { } active) claims.Add(active, f.File);

        // Newcomers: a good latest version that is not the active one. Retried until none goes live, so a file
        // that waited for a category another file has just let go of gets it whatever the name order.
        var pending = files.Values.Where(f => f.Latest is not null && f.Latest.Version != f.Active?.Version).Select(f => f.File).ToList();
        var activated = new List<Rule>();
        var conflicts = new Dictionary<string, IReadOnlyList<RuleProblem>>(StringComparer.Ordinal);
        for (var progress = true; progress;)
        {
            progress = false;
            foreach (var name in pending.ToList())
            {
                var f = files[name];
                var latest = f.Latest!;
                if (f.Active is { } own) claims.Remove(own, name);
                var problems = claims.Conflicts(latest, name);
                if (problems.Count == 0)
                {
                    claims.Add(latest, name);
                    files[name] = f with { Active = latest, UpdatedAt = at, Problems = [], RefusedAt = null };
                    activated.Add(latest);
                    pending.Remove(name);
                    conflicts.Remove(name);
                    progress = changed = true;
                }
                else
                {
                    if (f.Active is { } keep) claims.Add(keep, name);
                    conflicts[name] = problems;
                }
            }
        }

        var refused = new List<RuleFile>();
        foreach (var f in files.Values.ToList())
        {
            var problems = conflicts.GetValueOrDefault(f.File)
                ?? (f.Latest is not null && f.Latest.Version == f.Active?.Version ? [] : f.Problems);
            if (problems.SequenceEqual(f.Problems))
            {
                if (f.Problems.Count > 0 && touched.Contains(f.File)) refused.Add(f);
                continue;
            }
            var updated = f with { Problems = problems, RefusedAt = problems.Count > 0 ? at : null };
            files[f.File] = updated;
            if (problems.Count > 0) refused.Add(updated);
            changed = true;
        }
        return (activated, refused);
    }

    private void Publish(Snapshot snapshot)
    {
        _snapshot = snapshot;
        var previous = _changed;
        Volatile.Write(ref _changed, NewSignal());
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Which file holds each rule name and category.</summary>
    private sealed class Claims
    {
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string Rule, string File)> _categories = new(StringComparer.Ordinal);

        public void Add(Rule rule, string file)
        {
            _names.TryAdd(rule.Name, file);
            foreach (var category in rule.Categories) _categories.TryAdd(category, (rule.Name, file));
        }

        public void Remove(Rule rule, string file)
        {
            if (_names.GetValueOrDefault(rule.Name) == file) _names.Remove(rule.Name);
            foreach (var category in rule.Categories)
                if (_categories.TryGetValue(category, out var holder) && holder.File == file) _categories.Remove(category);
        }

        public IReadOnlyList<RuleProblem> Conflicts(Rule rule, string file)
        {
            var problems = new List<RuleProblem>();
            if (_names.TryGetValue(rule.Name, out var other) && other != file)
                problems.Add(new RuleProblem(file, 1, 1, $"another file already defines the rule '{rule.Name}' ({other}); a rule name belongs to one file"));
            foreach (var category in rule.Categories)
                if (_categories.TryGetValue(category, out var holder) && holder.File != file)
                    problems.Add(new RuleProblem(file, 1, 1,
                        $"the category '{category}' is already served by rule '{holder.Rule}' ({holder.File}); a category belongs to one rule"));
            return problems;
        }
    }

    private sealed record Snapshot(ImmutableDictionary<string, Rule> ByName, ImmutableDictionary<string, Rule> ByCategory,
        ImmutableSortedDictionary<string, RuleFile> Files, IReadOnlyList<RuleProblem> Loose, IReadOnlyList<RuleProblem> Problems, long Generation)
    {
        public static readonly Snapshot Empty = Of(ImmutableSortedDictionary.Create<string, RuleFile>(StringComparer.Ordinal), [], 0);

        public static Snapshot Of(ImmutableSortedDictionary<string, RuleFile> files, IReadOnlyList<RuleProblem> loose, long generation)
        {
            var byName = ImmutableDictionary.CreateBuilder<string, Rule>(StringComparer.Ordinal);
            var byCategory = ImmutableDictionary.CreateBuilder<string, Rule>(StringComparer.Ordinal);
            foreach (var rule in files.Values.Select(f => f.Active).OfType<Rule>())
            {
                byName.TryAdd(rule.Name, rule);
                foreach (var category in rule.Categories) byCategory.TryAdd(category, rule);
            }
            IReadOnlyList<RuleProblem> problems = [.. loose, .. files.Values.SelectMany(f => f.Problems)];
            return new Snapshot(byName.ToImmutable(), byCategory.ToImmutable(), files, loose, problems, generation);
        }
    }
}

/// <summary>A change of one file of the rules folder: its new content, or <c>null</c> when it was deleted.</summary>
/// <param name="File">The file name within the folder, such as <c>mention.yaml</c>.</param>
public sealed record RuleFileChange(string File, string? Source);

/// <summary>What one file of the rules folder holds, and which of its versions is live.</summary>
/// <param name="File">The file name within the folder, such as <c>mention.yaml</c>.</param>
/// <param name="Source">The content last read.</param>
/// <param name="Latest">The rule parsed from <paramref name="Source"/>; <c>null</c> when it has problems.</param>
/// <param name="Active">The live version: the latest good content that was accepted. It outlives a refused edit.</param>
/// <param name="UpdatedAt">When <paramref name="Active"/> went live.</param>
/// <param name="Problems">Why the latest content is not live (parse errors, or a name or category another file holds); empty when it is.</param>
/// <param name="RefusedAt">When the latest content was refused.</param>
public sealed record RuleFile(string File, string Source, Rule? Latest, Rule? Active, DateTimeOffset? UpdatedAt,
    IReadOnlyList<RuleProblem> Problems, DateTimeOffset? RefusedAt)
{
    /// <summary>The rule name: the live rule's, else the latest content's, else the file name without its extension.</summary>
    public string Name => Active?.Name ?? Latest?.Name ?? Path.GetFileNameWithoutExtension(File);
}

/// <summary>What <see cref="RuleSet.Apply"/> changed.</summary>
/// <param name="Activated">Versions that went live.</param>
/// <param name="Removed">Files that were deleted, with what they held.</param>
/// <param name="Refused">Files whose latest content was refused by this change, with every problem.</param>
/// <param name="Changed">Whether anything changed; <c>false</c> when every file's content was already known.</param>
public sealed record RuleSetUpdate(IReadOnlyList<Rule> Activated, IReadOnlyList<RuleFile> Removed, IReadOnlyList<RuleFile> Refused, bool Changed);
