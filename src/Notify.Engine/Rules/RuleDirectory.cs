namespace Notify.Engine.Rules;

/// <summary>The rules folder on disk: which files are rules (<c>*.yaml</c>, <c>*.yml</c>) and reading them.</summary>
public static class RuleDirectory
{
    /// <summary>
    /// Whether a file name is a rule: <c>.yaml</c> or <c>.yml</c>, and not hidden (editors keep their swap and lock
    /// files as dot files beside the one being edited).
    /// </summary>
    public static bool IsRuleFile(string fileName) =>
        !fileName.StartsWith('.') && fileName.Length > 4
        && (fileName.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase));

    /// <summary>The rule files of a folder, in name order; none when it does not exist.</summary>
    public static IReadOnlyList<string> List(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().Where(IsRuleFile).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>A file's current content, or a deletion when it is gone. Other I/O errors (a file still locked) are thrown.</summary>
    public static RuleFileChange Read(string directory, string file)
    {
        try
        {
            return new RuleFileChange(file, File.ReadAllText(Path.Combine(directory, file)));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new RuleFileChange(file, null);
        }
    }

    /// <summary>The problem to report when the folder itself is missing.</summary>
    public static RuleProblem Missing(string directory) =>
        new(directory, 0, 0, $"the rules folder '{Path.GetFullPath(directory)}' does not exist; set Rules:Directory");

    /// <summary>Parses every rule file; a broken file is listed in the problems and left out.</summary>
    public static (IReadOnlyList<Rule> Rules, IReadOnlyList<RuleProblem> Problems) Load(string directory)
    {
        if (!Directory.Exists(directory)) return ([], [Missing(directory)]);
        var set = new RuleSet();
        set.Apply(List(directory).Select(f => Read(directory, f)), DateTimeOffset.UnixEpoch);
        return ([.. set.Files.Values.Select(f => f.Active).OfType<Rule>()], set.Problems);
    }
}
