using Notify.Server.Tests.Durability;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Api;

/// <summary>What <c>/metrics</c> of the real server process publishes: runtime series an operator can use, not the runtime's private diagnostics.</summary>
public sealed class MetricsSeriesTests
{
    [Fact]
    public async Task Metrics_ServerProcess_PublishesRuntimeSeriesWithoutPrivateDiagnostics()
    {
        using var home = new ServerHome();
        home.WriteRule("default", NotifyTestServer.DefaultRule);
        await using var server = await ServerProcess.StartAsync(home);
        using var http = server.Client(home.AdminKey);

        // The default meter adapter publishes on its own thread: poll until its runtime series show, with a deadline.
        // MsQuic's private meter came out with them, in the same scrape.
        var deadline = Waits.Deadline(30);
        var text = await http.GetStringAsync("metrics", deadline);
        while (!text.Contains("\nsystem_runtime_", StringComparison.Ordinal))
        {
            await Task.Delay(50, deadline);
            text = await http.GetStringAsync("metrics", deadline);
        }

        Assert.DoesNotContain("private_internaldiagnostics", text, StringComparison.Ordinal);
        Assert.Contains("system_runtime_dotnet_gc", text, StringComparison.Ordinal);
    }
}
