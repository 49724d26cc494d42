namespace Notify.Server.Rules;

/// <summary>What the rules catalog and watcher log. A refused file logs every problem with its place.</summary>
internal static partial class RuleLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Rule file {File} refused at line {Line}, column {Column}: {Problem}")]
    public static partial void Refused(ILogger logger, string file, int line, int column, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rules: {Problem}")]
    public static partial void FolderProblem(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule file {File} still serves its last good version {Version} of rule '{Name}'")]
    public static partial void KeptLastGood(ILogger logger, string file, string name, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} rules from {Directory}: {Names}")]
    public static partial void Loaded(ILogger logger, int count, string directory, string names);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rule '{Name}' version {Version} is live (from {File})")]
    public static partial void Activated(ILogger logger, string name, string version, string? file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rule file {File} is gone: rule '{Name}' no longer serves new notifications")]
    public static partial void Removed(ILogger logger, string file, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "There is no '{Name}' rule: a notify call whose category no rule matches is refused with 422")]
    public static partial void NoDefault(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read rule file {File} yet; the next change of it is picked up")]
    public static partial void Unreadable(ILogger logger, string file, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching the rules folder {Directory} failed; reading the whole folder again")]
    public static partial void WatcherError(ILogger logger, string directory, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot watch the rules folder {Directory} for events; reading it again periodically instead")]
    public static partial void CannotWatch(ILogger logger, string directory, Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reloading the rules folder failed")]
    public static partial void ReloadFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule '{Name}' version {Version} is live but not saved in the store yet (unavailable: {Reason}); trying again every few seconds")]
    public static partial void VersionNotSaved(ILogger logger, string name, string version, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rule '{Name}' version {Version} is saved in the store")]
    public static partial void VersionSaved(ILogger logger, string name, string version);
}
