namespace Notify.Server.Hosting;

/// <summary>Section <c>Rules</c>.</summary>
public sealed class RulesOptions
{
    /// <summary>The folder whose <c>*.yaml</c> files are the rules (default <c>rules</c>, relative to the working folder).</summary>
    public string Directory { get; set; } = "rules";
}
