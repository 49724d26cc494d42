using System.Net;
using System.Net.Sockets;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Durability;

/// <summary>
/// What an operator sees when the real server process is started wrong: one clear message and exit code 1, not an
/// unhandled exception's stack trace and an abort (134), nor a misleading error about something else. And what the
/// logs show of a token sent in the query string.
/// </summary>
public sealed class StartupMessagesProcessTests
{
    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task Start_ProductionWithNoKeys_RefusesWithOneMessage_Exit1()
    {
        using var home = new ServerHome();
        home.WriteRule("default", NotifyTestServer.DefaultRule);

        var (code, output) = await ServerProcess.RunUntilExitAsync(home, new Dictionary<string, string?>
        {
            ["Auth__AdminKeys__0"] = null, ["Auth__Apps__0__Id"] = null, ["Auth__Apps__0__Keys__0"] = null,
        });

        Assert.True(code == 1, $"exit code {code}\n{output}");
        Assert.Contains("Notify cannot start: Auth: no keys are configured", output);
        AssertNoStackTrace(output);
    }

    [Fact]
    public async Task Start_ShortKey_PrintsTheMessageAlone_Exit1()
    {
        using var home = new ServerHome();
        home.WriteRule("default", NotifyTestServer.DefaultRule);

        var (code, output) = await ServerProcess.RunUntilExitAsync(home, new Dictionary<string, string?> { ["Auth__Apps__0__Keys__0"] = "short" });

        Assert.True(code == 1, $"exit code {code} (134 was an abort after an unhandled exception)\n{output}");
        Assert.Contains("[err] Notify cannot start: Auth: every admin and app key must be at least 32 characters", output);
        AssertNoStackTrace(output);
    }

    [Fact]
    public async Task Start_PortInUse_SaysSo_WithoutAMisleadingLeaseError_Exit1()
    {
        using var home = new ServerHome();
        home.WriteRule("default", NotifyTestServer.DefaultRule);
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var (code, output) = await ServerProcess.RunUntilExitAsync(home, port: port);

        Assert.True(code == 1, $"exit code {code}\n{output}");
        Assert.Contains("Notify cannot start:", output);
        Assert.Contains("address already in use", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ObjectDisposedException", output);
        Assert.DoesNotContain("Could not release the timer leases", output);
    }

    [Fact]
    public async Task RequestLogging_AccessTokenInTheQuery_IsRedacted()
    {
        using var home = new ServerHome();
        home.WriteRule("default", NotifyTestServer.DefaultRule);
        await using var server = await ServerProcess.StartAsync(home, new Dictionary<string, string?>
        {
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        const string Secret = "dtk_0123456789abcdef-secret-device-token";
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await http.GetAsync($"health/live?access_token={Secret}&x=1");
        await server.WaitForOutputAsync("Request finished HTTP/1.1 GET", Waits.Deadline());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("/health/live?access_token=[redacted]&x=1", server.Output);
        Assert.DoesNotContain(Secret, server.Output);
    }
}
