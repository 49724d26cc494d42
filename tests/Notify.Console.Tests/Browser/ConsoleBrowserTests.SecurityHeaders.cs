using Microsoft.Playwright;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Console.Tests.Browser;

// The console's security headers (Content-Security-Policy with 'self' only, no framing, nosniff, no referrer), and the
// pages still working under them in headless Chromium: the browser reports every blocked script, style or connection
// on the console, and none may appear while the pages are used.
public sealed partial class ConsoleBrowserTests
{
    [Theory]
    [InlineData("/console/")]
    [InlineData("/console/device.html")]
    [InlineData("/console/js/app.js")]
    [InlineData("/console")]
    public async Task Console_EveryAnswer_CarriesTheSecurityHeaders(string path)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _server.BaseAddress };
        using var response = await http.GetAsync(path);

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        var scripts = csp.Split(';').Single(d => d.Trim().StartsWith("script-src ", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", scripts);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task Api_AnswersCarryNoConsoleHeaders()
    {
        using var http = _server.Http();
        using var response = await http.GetAsync("/health/live");
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
    }

    [SkippableFact]
    public async Task Console_PagesUsedUnderThePolicy_NothingBlocked()
    {
        SkipWithoutChromium();
        var blocked = new List<string>();
        var page = await NewPageAsync();
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal)) lock (blocked) blocked.Add(m.Text); };
        page.PageError += (_, e) => { lock (blocked) blocked.Add(e); };

        // The app (a module script), the rule editor (CodeMirror injects its styles), and the device page (an inline module script).
        await page.GotoAsync("/console/");
        await page.GetByLabel("Key").FillAsync(NotifyTestServer.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Rules" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "mention" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rule-meta")).ToContainTextAsync("Live version");
        await page.Locator(".cm-content").ClickAsync();
        await page.Keyboard.PressAsync("Control+End");
        await page.Keyboard.InsertTextAsync("\n  - to: nobody\n");
        await Assertions.Expect(page.Locator("#problems")).ToContainTextAsync("unknown target 'nobody'");
        // Typed spaces stayed spaces: blocked editor styles turned them into no-break spaces, which YAML does not indent with.
        Assert.DoesNotContain('\u00a0', await page.Locator(".cm-content").InnerTextAsync());
        // CodeMirror's own styles applied: its gutter is laid out beside the text, not above it.
        var gutter = await page.Locator(".cm-gutters").BoundingBoxAsync();
        var content = await page.Locator(".cm-content").BoundingBoxAsync();
        Assert.True(gutter!.X + gutter.Width <= content!.X + 1, $"gutter at {gutter.X}+{gutter.Width}, content at {content.X}");

        await page.GotoAsync("/console/device.html");
        await page.GetByLabel("Device token").FillAsync("not-a-device-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
        // The inline script ran: it handled the submit and the status left "not connected".
        await Assertions.Expect(page.Locator("#status")).Not.ToHaveTextAsync("not connected");

        lock (blocked) Assert.True(blocked.Count == 0, string.Join("\n", blocked));
    }
}
