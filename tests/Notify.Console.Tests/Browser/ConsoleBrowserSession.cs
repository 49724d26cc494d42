using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Console.Tests.Infrastructure;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Console.Tests.Browser;

/// <summary>
/// What every console browser test class shares: the console end to end in the system's headless Chromium, against the real server. Every wait is one of
/// Playwright's auto-waiting expectations (a page condition with a deadline), never a sleep. Screenshots go to
/// docs/console/ when NOTIFY_SCREENSHOTS=1, else to a temp folder.
/// </summary>
public abstract class ConsoleBrowserSession : IAsyncLifetime
{
    protected const string ChromiumPath = "/usr/bin/chromium";

    protected NotifyTestServer _server = null!;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    protected IBrowserContext? _context;

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer(rules: new Dictionary<string, string>
        {
            ["default.yaml"] = NotifyTestServer.DefaultRule,
            ["mention.yaml"] = """
                name: mention
                match:
                  categories: [mention]
                steps:
                  - to: attention
                    via: inApp
                    wait: 2m
                  - to: best
                    via: inApp
                """,
        });
        if (!File.Exists(ChromiumPath)) return;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
        });
        _context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "Europe/Lisbon",
        });
        // Deadlines for each action and expectation on two shared cores, not waits: they pass as soon as the page is ready.
        _context.SetDefaultTimeout(20_000);
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.DisposeAsync();
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        await _server.DisposeAsync();
    }

    protected static void SkipWithoutChromium() =>
        Skip.IfNot(File.Exists(ChromiumPath), $"{ChromiumPath} is absent: install Debian's chromium (.ci/run does) to run the console's browser tests");

    /// <summary>A page whose clock starts at the server's fake time (so "5 min ago" and quiet hours agree) and runs on.</summary>
    protected async Task<IPage> NewPageAsync()
    {
        var page = await _context!.NewPageAsync();
        await page.Clock.InstallAsync(new ClockInstallOptions { TimeDate = _server.Time.GetUtcNow().UtcDateTime });
        return page;
    }

    protected async Task<IPage> SignInAsync(string key = NotifyTestServer.AdminKey)
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/console/");
        await page.GetByLabel("Key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users" })).ToBeVisibleAsync();
        return page;
    }

    protected static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("NOTIFY_SCREENSHOTS") == "1"
            ? Path.Combine(Repo.Root, "docs", "console")
            : Path.Combine(Path.GetTempPath(), "notify-console-screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    protected async Task<Scenario> AnaAsync()
    {
        var ana = await Scenario.CreateAsync(_server, email: "ana@example.com");
        await ana.RegisterAsync("Ana laptop", Platform.Desktop);
        await ana.RegisterAsync("Ana iPhone", Platform.Ios);
        return ana;
    }
}
