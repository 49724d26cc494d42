using System.Diagnostics;

namespace Notify.Console.Tests.Infrastructure;

/// <summary>Where things are in the checkout, and the external programs the tests look for.</summary>
public static class Repo
{
    /// <summary>The folder holding Notify.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string NotifyJs => Path.Combine(Root, "src", "notify-js");

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    /// <summary>Runs a program to its end (the deadline only bounds a hang) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, string arguments, string workingDirectory,
        IDictionary<string, string> environment, TimeSpan deadline)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {arguments} did not finish within {deadline}:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Notify.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Notify.sln above {AppContext.BaseDirectory}.");
    }
}
