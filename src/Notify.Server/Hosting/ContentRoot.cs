namespace Notify.Server.Hosting;

/// <summary>
/// Finds the folder that holds <c>appsettings.json</c> and <c>rules/</c>. <c>dotnet run --project src/Notify.Server</c>
/// starts the process in the project folder, but the defaults live at the top of the repository; this walks
/// up to them so the README's one command works. An explicit content root always wins.
/// </summary>
internal static class ContentRoot
{
    public static string? Resolve(string[] args)
    {
        if (args.Any(a => a.Contains("contentRoot", StringComparison.OrdinalIgnoreCase))
            || Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is not null
            || Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is not null)
            return null;
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        for (var depth = 0; dir is not null && depth < 4; depth++, dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "appsettings.json")) && Directory.Exists(Path.Combine(dir.FullName, "rules")))
                return dir.FullName;
        return null;
    }

    /// <summary>A configured path, relative to the content root unless absolute.</summary>
    public static string Under(IHostEnvironment environment, string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(environment.ContentRootPath, path));
}
