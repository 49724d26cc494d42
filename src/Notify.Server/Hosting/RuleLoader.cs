using Microsoft.Extensions.Options;
using Notify.Engine.Rules;
using Notify.Engine.Storage;

namespace Notify.Server.Hosting;

/// <summary>Loads the rules folder into the live <see cref="RuleSet"/> at start, and keeps each version's source in the store.</summary>
public sealed partial class RuleLoader(RuleSet rules, INotifyStore store, IOptions<RulesOptions> options, TimeProvider time, ILogger<RuleLoader> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var directory = options.Value.Directory;
        var (loaded, problems) = RuleDirectory.Load(directory);
        rules.Replace(loaded, problems);
        foreach (var problem in problems) LogProblem(problem.ToString());
        foreach (var rule in loaded) await store.SaveRuleVersionAsync(rule.Name, rule.Version, rule.Source, time.GetUtcNow(), cancellationToken);
        LogLoaded(loaded.Count, Path.GetFullPath(directory), string.Join(", ", loaded.Select(r => r.Name)));
        if (rules.Rules.ContainsKey(RuleSet.DefaultRuleName) is false)
            LogNoDefault(RuleSet.DefaultRuleName);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Error, Message = "Rule refused: {Problem}")]
    private partial void LogProblem(string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} rules from {Directory}: {Names}")]
    private partial void LogLoaded(int count, string directory, string names);

    [LoggerMessage(Level = LogLevel.Warning, Message = "There is no '{Name}' rule: a notify call whose category no rule matches is refused with 422")]
    private partial void LogNoDefault(string name);
}
