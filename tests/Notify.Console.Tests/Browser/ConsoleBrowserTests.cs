using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Console.Tests.Infrastructure;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Console.Tests.Browser;

/// <summary>The console's main paths in Chromium (set-up and waits in <see cref="ConsoleBrowserSession"/>).</summary>
public sealed partial class ConsoleBrowserTests : ConsoleBrowserSession
{
    [SkippableFact]
    public async Task SignIn_AdminAndAppKeys_ListUsersAndRefuseUnknownKeys()
    {
        SkipWithoutChromium();
        await using var ana = await AnaAsync();
        using (var other = _server.App(NotifyTestServer.OtherAppKey)) await other.PutUserAsync("carl", new UserRequest { TimeZone = "UTC" });

        var page = await NewPageAsync();
        await page.GotoAsync("/console/");
        await page.GetByLabel("Key").FillAsync("not-a-key");
        await page.GetByLabel("Key").PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not known");

        var admin = await SignInAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Link, new() { Name = "carl" })).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Link, new() { Name = "ana" })).ToBeVisibleAsync();
        Assert.Equal(NotifyTestServer.AdminKey, await admin.EvaluateAsync<string>("sessionStorage.getItem('notify.key')"));
        Assert.Null(await admin.EvaluateAsync<string?>("localStorage.getItem('notify.key')"));
        await ScreenshotAsync(admin, "users");

        var app = await SignInAsync(NotifyTestServer.AppKey);
        await Assertions.Expect(app.GetByRole(AriaRole.Link, new() { Name = "ana" })).ToBeVisibleAsync();
        await Assertions.Expect(app.GetByRole(AriaRole.Link, new() { Name = "carl" })).ToHaveCountAsync(0);
    }

    [SkippableFact]
    public async Task QuietHours_EditedAndSaved_AreStoredAndNextPeriodShown()
    {
        SkipWithoutChromium();
        await using var ana = await AnaAsync();
        var page = await SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "ana" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "User ana" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Add window" }).ClickAsync();
        await page.Locator("#from-0").FillAsync("21:30");
        await page.Locator("#to-0").FillAsync("07:00");
        await page.Locator("#allow-critical").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save quiet hours" }).ClickAsync();

        await Assertions.Expect(page.Locator("#quiet-status")).ToContainTextAsync("next quiet period Fri 27 Nov, 21:30");
        using var http = _server.Http(NotifyTestServer.AppKey);
        var stored = await http.GetFromJsonAsync<JsonElement>("/v1/users/ana/quiet-hours");
        var window = Assert.Single(stored.GetProperty("windows").EnumerateArray());
        Assert.Equal("21:30", window.GetProperty("from").GetString());
        Assert.Equal(["mon", "tue", "wed", "thu", "fri"], window.GetProperty("days").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(["critical"], stored.GetProperty("allow").EnumerateArray().Select(d => d.GetString()));

        // A refused edit shows the server's message beside the field at fault.
        foreach (var day in await page.Locator("[data-window='0'] fieldset input").AllAsync()) await day.UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save quiet hours" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-window='0'] .field-error")).ToContainTextAsync("missing days");
    }

    [SkippableFact]
    public async Task Devices_SdkInAnotherPageReportsActive_UserPageShowsItLive()
    {
        SkipWithoutChromium();
        await using var ana = await AnaAsync();
        await ana.NotifyAsync();
        var console = await SignInAsync();
        await console.GotoAsync("/console/#/users/default/ana");
        var laptop = console.Locator($"[data-device='{ana.Id("Ana laptop")}']");
        await Assertions.Expect(console.Locator("#live")).ToHaveTextAsync("live");
        await Assertions.Expect(laptop.Locator("[data-field=online]")).ToHaveTextAsync("offline");

        var device = await NewPageAsync();
        await device.GotoAsync($"/console/device.html#token={ana.Devices["Ana laptop"].Token}");
        await Assertions.Expect(device.Locator("#status")).ToHaveTextAsync("connected");
        await Assertions.Expect(device.Locator("#inbox li")).ToContainTextAsync("Ana mentioned you");
        await device.GetByRole(AriaRole.Button, new() { Name = "I'm here (report active)" }).ClickAsync();

        await Assertions.Expect(laptop.Locator("[data-field=online]")).ToHaveTextAsync("online");
        await Assertions.Expect(laptop.Locator("[data-field=presence]")).ToContainTextAsync("active");
        Assert.Equal("", await console.EvaluateAsync<string>("performance.getEntriesByType('navigation').length > 1 ? 'reloaded' : ''"));

        await console.Locator("#notifications summary").First.ClickAsync();
        await Assertions.Expect(console.Locator("#notifications .trace")).ToContainTextAsync("Step 1");
        await ScreenshotAsync(console, "user");
        await console.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync(console, "user-phone");
        await ScreenshotAsync(device, "device");
    }

    [SkippableFact]
    public async Task Rules_SaveABrokenRule_ShowsTheProblemAtItsLine()
    {
        SkipWithoutChromium();
        var page = await SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Rules" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rules")).ToContainTextAsync("mention");
        await ScreenshotAsync(page, "rules");
        await page.GetByRole(AriaRole.Link, new() { Name = "mention" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rule-meta")).ToContainTextAsync("Live version");

        await page.Locator(".cm-content").ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync("name: mention\nmatch:\n  categories: [mention]\nsteps:\n  - to: nobody\n    via: inApp\n");
        await Assertions.Expect(page.Locator("#problems")).ToContainTextAsync("Line 5, column 9: unknown target 'nobody'");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Assertions.Expect(page.GetByText("The rule has 1 problem(s)")).ToContainTextAsync("live version is unchanged");
        await Assertions.Expect(page.Locator(".cm-lintRange-error")).ToHaveTextAsync("nobody");
        var markerLine = await page.Locator(".cm-gutter-lint .cm-gutterElement:has(.cm-lint-marker-error)").BoundingBoxAsync();
        var line5 = await page.Locator(".cm-line").Nth(4).BoundingBoxAsync();
        Assert.InRange(markerLine!.Y, line5!.Y - 2, line5.Y + 2);
        await ScreenshotAsync(page, "rule-editor");

        using var http = _server.Http(NotifyTestServer.AdminKey);
        var live = await http.GetFromJsonAsync<JsonElement>("/v1/rules/mention");
        Assert.Contains("to: attention", live.GetProperty("source").GetString());
    }

    [SkippableFact]
    public async Task Simulator_InlineUserAndDevices_ShowsDecisionAndTraceTree()
    {
        SkipWithoutChromium();
        var page = await SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Simulator" }).ClickAsync();
        await page.GetByLabel("Category").FillAsync("mention");
        await page.GetByRole(AriaRole.Button, new() { Name = "Simulate" }).ClickAsync();

        await Assertions.Expect(page.Locator("#sim-status")).ToHaveTextAsync("delivered");
        await ScreenshotAsync(page, "simulator");
        var trace = page.Locator("#sim-decision .trace");
        await Assertions.Expect(trace.Locator("summary")).ToContainTextAsync(["Step 1"]);
        await Assertions.Expect(trace.Locator("li.taken")).ToContainTextAsync("phone");
        await Assertions.Expect(trace.Locator("li.passed")).ToContainTextAsync("laptop");
        await ScreenshotAsync(page, "simulator");
    }
}
