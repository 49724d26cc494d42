namespace Notify.Engine.Rules;

/// <summary>Loads every <c>*.yaml</c> (and <c>*.yml</c>) file of the rules folder.</summary>
public static class RuleDirectory
{
    /// <summary>Parses every rule file; a broken file is listed in the problems and left out.</summary>
    public static (IReadOnlyList<Rule> Rules, IReadOnlyList<RuleProblem> Problems) Load(string directory)
    {
        var rules = new List<Rule>();
        var problems = new List<RuleProblem>();
        if (!Directory.Exists(directory))
        {
            problems.Add(new RuleProblem(directory, 0, 0, $"the rules folder '{Path.GetFullPath(directory)}' does not exist; set Rules:Directory"));
            return (rules, problems);
        }
        var files = Directory.EnumerateFiles(directory, "*.yaml").Concat(Directory.EnumerateFiles(directory, "*.yml"))
            .OrderBy(f => f, StringComparer.Ordinal);
        foreach (var path in files)
        {
            var file = Path.GetFileName(path);
            var result = RuleParser.Parse(File.ReadAllText(path), Path.GetFileNameWithoutExtension(path), file);
            if (result.Rule is { } rule)
            {
                var taken = rule.Categories.FirstOrDefault(c => rules.Any(r => r.Categories.Contains(c)));
                if (rules.Any(r => r.Name == rule.Name))
                    problems.Add(new RuleProblem(file, 1, 1, $"another file already defines the rule '{rule.Name}'"));
                else if (taken is not null)
                    problems.Add(new RuleProblem(file, 1, 1,
                        $"the category '{taken}' is already served by rule '{rules.First(r => r.Categories.Contains(taken)).Name}'; a category belongs to one rule"));
                else rules.Add(rule);
            }
            problems.AddRange(result.Problems);
        }
        return (rules, problems);
    }
}
