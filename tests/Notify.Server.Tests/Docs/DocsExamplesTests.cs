using Notify.Client.Devices;
using Notify.Server.Tests.Durability;

namespace Notify.Server.Tests.Docs;

/// <summary>
/// The documentation's shell examples, run as a reader would paste them (one bash, one after the other) against the
/// real server process with the shipped rules, and each answer checked against what the page claims: the status, and
/// every field name and plain value it shows. The development keys and <c>localhost:5080</c> are replaced by the test
/// server's. An example that cannot run here is marked in the page with <c>&lt;!-- docs-test: skip (reason) --&gt;</c>.
/// </summary>
public sealed class DocsExamplesTests
{
    /// <summary>Every page with shell examples other than the README (whose tour has its own test below).</summary>
    public static TheoryData<string> Pages() =>
        [.. Directory.GetFiles(Path.Combine(RepoRoot, "docs"), "*.md").Where(p => ShellExamples.Read(p).Blocks.Count > 0)
            .Select(p => Path.GetFileName(p)).Order()];

    [SkippableFact]
    public async Task ReadmeTour_PastedIntoOneShell_EveryClaimedAnswerHolds()
    {
        SkipWithoutShell();
        var examples = ShellExamples.Read(Path.Combine(RepoRoot, "README.md"), section: "A two-minute tour");
        Assert.True(examples.Calls.Count >= 8, $"the tour has {examples.Calls.Count} calls: is the section still called 'A two-minute tour'?");
        using var home = ShippedHome();

        var run = await RunAsync(examples, home);

        var laptop = await File.ReadAllTextAsync(Path.Combine(home.Directory, "laptop.log"));
        var phone = await File.ReadAllTextAsync(Path.Combine(home.Directory, "phone.log"));
        // "cat laptop.log: hello, then the notification", then after the ack "{"type":"clear",…,"reason":"seen-elsewhere"}".
        Assert.Contains("\"type\":\"hello\"", laptop);
        Assert.Contains("\"title\":\"Rui mentioned you\"", laptop);
        Assert.Contains("\"type\":\"clear\"", laptop);
        Assert.Contains("\"reason\":\"seen-elsewhere\"", laptop);
        // "cat phone.log: hello only" (the follow-up is two minutes away; the ack came first).
        Assert.Contains("\"type\":\"hello\"", phone);
        Assert.DoesNotContain("\"type\":\"notification\"", phone);
        Assert.DoesNotContain("curl: (3)", run.Errors);
    }

    [SkippableTheory]
    [MemberData(nameof(Pages))]
    public async Task DocsPage_EveryRunnableShellExample_AnswersAsThePageSays(string page)
    {
        SkipWithoutShell();
        var examples = ShellExamples.Read(Path.Combine(RepoRoot, "docs", page));
        using var home = ShippedHome();

        await RunAsync(examples, home);
    }

    [SkippableFact]
    public async Task ApiPage_EveryHttpExample_AnswersAsThePageSays()
    {
        var page = HttpExamples.Read(Path.Combine(RepoRoot, "docs", "api.md"));
        Assert.True(page.Examples.Count >= 15, $"only {page.Examples.Count} examples read from docs/api.md");
        using var home = ShippedHome();
        await using var server = await ServerProcess.StartAsync(home);
        using var app = server.Client(home.AppKey);
        using var admin = server.Client(home.AdminKey);
        var ids = new Dictionary<string, string>();            // the page's id → the one this server gave
        var tokens = new Dictionary<string, string>();         // this server's device id → its token
        var connected = new List<NotifyDeviceClient>();
        string Bind(string text) => HttpExamples.IdPattern().Replace(text, m => ids.GetValueOrDefault(m.Value, m.Value));
        try
        {
            foreach (var doc in page.Examples)
            {
                var e = doc with { Path = Bind(doc.Path), Body = doc.Body is null ? null : Bind(doc.Body) };
                var client = e.Note == "admin" || e.Path.StartsWith("/v1/rules", StringComparison.Ordinal) || e.Path.StartsWith("/v1/simulate", StringComparison.Ordinal) ? admin
                    : e.Path.EndsWith("/ack", StringComparison.Ordinal) || e.Path.EndsWith("/state", StringComparison.Ordinal) ? DeviceClient(server, tokens, e)
                    : app;
                using var request = new HttpRequestMessage(new HttpMethod(e.Method), e.Path.TrimStart('/')) { Content = HttpExamples.Content(e) };
                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (client != app && client != admin) client.Dispose();
                var what = $"docs/api.md {doc} answered {(int)response.StatusCode} {body}";

                Assert.True(doc.Status == (int)response.StatusCode, $"the page says {doc.Status}. {what}");
                BindIds(doc.Answer, body, ids);
                if (FirstString(body, "deviceToken") is { } token && FirstString(body, "deviceId") is { } deviceId)
                {
                    tokens[deviceId] = token;
                    // Online, as the page's devices are (it shows them connected).
                    var device = new NotifyDeviceClient(server.BaseAddress, token);
                    connected.Add(device);
                    await device.ConnectAsync();
                }
                if (e.Path.StartsWith("/v1/simulate", StringComparison.Ordinal))
                {
                    // POST /v1/simulate is being reworked (its status becomes what notify answers): its shape only.
                    foreach (var field in new[] { "\"status\":", "\"decision\":", "\"trace\":" }) Assert.True(body.Contains(field, StringComparison.Ordinal), $"no {field} in it. {what}");
                    continue;
                }
                foreach (var claim in ShellExamples.Claims(Bind(doc.Answer)))
                    Assert.True(body.Contains(claim, StringComparison.Ordinal), $"the page claims {claim}. {what}");
            }
        }
        finally
        {
            foreach (var device in connected) await device.DisposeAsync();
        }
    }

    /// <summary>A device's own token for its state; any device of the user for an ack (any of them may ack).</summary>
    private static HttpClient DeviceClient(ServerProcess server, Dictionary<string, string> tokens, HttpExamples.Example e)
    {
        var device = HttpExamples.IdPattern().Match(e.Path).Value;
        var token = tokens.GetValueOrDefault(device) ?? tokens.Values.LastOrDefault()
            ?? throw new InvalidOperationException($"{e}: no device registered before it, so no device token to call with");
        return server.Client(token);
    }

    /// <summary>Each id the page shows under deviceId, notificationId or id stands for the one the server put there.</summary>
    private static void BindIds(string docAnswer, string realAnswer, Dictionary<string, string> ids)
    {
        foreach (var key in new[] { "deviceId", "notificationId", "id" })
        {
            var shown = FirstString(docAnswer, key);
            var real = FirstString(realAnswer, key);
            if (shown is null || real is null || !HttpExamples.IdPattern().IsMatch(shown) || ids.ContainsKey(shown)) continue;
            if (shown[..4] == real[..Math.Min(4, real.Length)]) ids[shown] = real;
        }
    }

    private static string? FirstString(string json, string key)
    {
        var m = System.Text.RegularExpressions.Regex.Match(json, $"\"{key}\":\"([^\"]*)\"");
        return m.Success ? m.Groups[1].Value : null;
    }

    private static async Task<ShellExamples.ScriptRun> RunAsync(ShellExamples examples, ServerHome home)
    {
        await using var server = await ServerProcess.StartAsync(home);
        var keys = new Dictionary<string, string> { ["dev-app-key"] = home.AppKey, ["dev-admin-key"] = home.AdminKey };
        var run = await examples.RunAsync(server.BaseAddress.ToString().TrimEnd('/'), keys, home.Directory, TimeSpan.FromMinutes(2));
        var context = $"{examples.Page}: bash said:\n{run.Output}\n{run.Errors}\nserver:\n{server.Output}";

        Assert.True(run.ExitCode == 0, $"the examples exited with {run.ExitCode}. {context}");
        Assert.True(examples.Calls.Count == run.Calls.Count, $"{examples.Calls.Count} curl calls in the page, {run.Calls.Count} made. {context}");
        foreach (var (call, (status, body)) in examples.Calls.Zip(run.Calls))
        {
            var what = $"{examples.Page}: `{call.Command}` answered {status} {body}";
            if (call.Status is { } claimed) Assert.True(claimed == status, $"the page says {claimed}. {what}");
            else Assert.True(status is >= 200 and < 300, $"the page shows no error. {what}");
            if (call.IsSimulate)
            {
                // POST /v1/simulate is being reworked (its status becomes what notify answers): its shape only.
                foreach (var field in new[] { "\"status\":", "\"decision\":", "\"trace\":" }) Assert.True(body.Contains(field, StringComparison.Ordinal), $"no {field} in it. {what}");
                continue;
            }
            foreach (var claim in ShellExamples.Claims(call.Answer ?? ""))
                Assert.True(body.Contains(claim, StringComparison.Ordinal), $"the page claims {claim} ({call.Answer}). {what}");
        }
        return run;
    }

    /// <summary>A server home with the shipped rules, as after a checkout.</summary>
    private static ServerHome ShippedHome()
    {
        var home = new ServerHome();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot, "rules"), "*.yaml"))
            home.WriteRule(Path.GetFileNameWithoutExtension(file), File.ReadAllText(file));
        return home;
    }

    private static void SkipWithoutShell()
    {
        foreach (var program in new[] { "bash", "curl", "sed" })
            Skip.If(OnPath(program) is null, $"{program} is not on PATH: the documentation's examples are shell commands");
    }

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Notify.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Notify.sln above {AppContext.BaseDirectory}.");
    }
}
