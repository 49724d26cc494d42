using Notify.Console.Tests.Infrastructure;

namespace Notify.Console.Tests.Sdk;

/// <summary>
/// Runs the JavaScript SDK's own tests (<c>node --test</c> in src/notify-js, against the real server built beside
/// these tests) so that CI's single <c>dotnet test</c> runs them too.
/// </summary>
public sealed class NodeSdkTests
{
    [SkippableFact]
    public async Task NodeTest_NotifyJs_AllPass()
    {
        var node = Repo.OnPath("node");
        Skip.If(node is null, "node is not on PATH; install nodejs (.ci/run does) to run the JavaScript SDK's tests");
        Skip.IfNot(Directory.Exists(Path.Combine(Repo.NotifyJs, "node_modules", "ws")),
            "src/notify-js/node_modules is missing; run `npm ci` in src/notify-js (.ci/run does)");

        var (exitCode, output) = await Repo.RunAsync(node!, "--test", Repo.NotifyJs,
            new Dictionary<string, string> { ["NOTIFY_SERVER_DLL"] = Path.Combine(AppContext.BaseDirectory, "Notify.Server.dll") },
            TimeSpan.FromMinutes(5));

        Assert.True(exitCode == 0, $"node --test failed ({exitCode}):\n{output}");
        Assert.Contains("# fail 0", output);
        Assert.DoesNotContain("# skipped: ", output); // the server tests ran
        Assert.Matches(@"# pass [1-9]", output);
    }
}
