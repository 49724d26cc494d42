using Microsoft.Extensions.Options;

namespace Notify.Server.Auth;

/// <summary>Keys from configuration (section <c>Auth</c>); see docs/api.md.</summary>
public sealed class AuthOptions
{
    /// <summary>Admin keys: everything, including rules and simulation.</summary>
    public List<string> AdminKeys { get; set; } = [];

    /// <summary>Apps and their keys; each app sees only its own users, devices and notifications.</summary>
    public List<AppOptions> Apps { get; set; } = [];

    /// <summary>Keys shorter than this are refused outside Development (32).</summary>
    public const int MinimumKeyLength = 32;
}

public sealed class AppOptions
{
    public string Id { get; set; } = "";
    public List<string> Keys { get; set; } = [];
}

/// <summary>Refuses to start with a key that can be guessed, or with no key at all (every request would be a 401), except in Development.</summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        foreach (var app in options.Apps)
        {
            if (string.IsNullOrWhiteSpace(app.Id)) failures.Add("Auth:Apps has an app without an Id.");
            if (app.Keys.Count == 0) failures.Add($"Auth:Apps app '{app.Id}' has no Keys.");
        }
        if (options.Apps.GroupBy(a => a.Id).Any(g => g.Count() > 1)) failures.Add("Auth:Apps lists the same app Id twice.");
        var all = options.AdminKeys.Concat(options.Apps.SelectMany(a => a.Keys)).ToList();
        if (all.Count != all.Distinct(StringComparer.Ordinal).Count()) failures.Add("Auth: the same key is configured twice; every key must be unique.");
        if (!environment.IsDevelopment() && all.Count == 0)
            failures.Add("Auth: no keys are configured, so every request would be refused (401). Set Auth:AdminKeys:0, and for each app " +
                "Auth:Apps:N:Id and Auth:Apps:N:Keys:0 (environment: Auth__AdminKeys__0=...); generate keys with: openssl rand -base64 32.");
        if (!environment.IsDevelopment() && all.Any(k => k.Length < AuthOptions.MinimumKeyLength))
            failures.Add($"Auth: every admin and app key must be at least {AuthOptions.MinimumKeyLength} characters outside Development " +
                "(generate one with: openssl rand -base64 32).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
