using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Client.Devices;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.QuietHours;

/// <summary>Quiet hours and preferences end to end: set through the API, honoured by delivery, released by a durable timer.</summary>
public sealed class QuietHoursFlowTests : IAsyncLifetime
{
    // The test clock starts Friday 2026-11-27 09:00 UTC, which is 09:00 in Lisbon (WET, UTC+0).
    private const string Rules = """
        name: default
        ttl: 12h
        quietHours: hold
        steps:
          - to: best
            via: inApp
            wait: 10m
          - to: best
            via: inApp
        """;

    private const string Digest = """
        name: digest
        match: { category: digest }
        priority: low
        quietHours: silent
        steps:
          - to: best
            via: inApp
            defer: { until: charging }
        """;

    private const string Repeat = """
        name: alarm
        match: { category: alarm }
        priority: critical
        repeat: 2
        steps:
          - to: all
            via: inApp
            wait: 5m
        """;

    private const string Later = """
        name: later
        match: { category: later }
        ttl: 12h
        quietHours: hold
        steps:
          - to: best
            via: inApp
            defer: { for: 30m }
        """;

    private NotifyTestServer _server = null!;
    private Scenario _ana = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer(rules: new Dictionary<string, string> { ["default.yaml"] = Rules, ["digest.yaml"] = Digest, ["alarm.yaml"] = Repeat, ["later.yaml"] = Later });
        _ana = await Scenario.CreateAsync(_server);
        await _ana.RegisterAsync("phone", Platform.Ios);
        _http = _server.Http(NotifyTestServer.AppKey);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _ana.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<JsonElement> PutQuietHoursAsync(object body)
    {
        var response = await _http.PutAsJsonAsync("/v1/users/ana/quiet-hours", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task PutQuietHours_StoredAndExplained_InTheUsersZone()
    {
        var view = await PutQuietHoursAsync(new { windows = new[] { new { days = new[] { "fri" }, from = "08:00", to = "10:30" } }, allow = new[] { "critical" } });

        Assert.True(view.GetProperty("quietNow").GetBoolean());
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 30, 0, TimeSpan.Zero), view.GetProperty("quietUntil").GetDateTimeOffset());
        Assert.Equal("Europe/Lisbon", view.GetProperty("timeZone").GetString());
        var stored = await _http.GetFromJsonAsync<JsonElement>("/v1/users/ana/quiet-hours");
        Assert.Equal("08:00", stored.GetProperty("windows")[0].GetProperty("from").GetString());
        Assert.Equal("critical", stored.GetProperty("allow")[0].GetString());
    }

    [Fact]
    public async Task DotNetClient_SetsQuietHoursAndPreferences()
    {
        await _ana.App.PutQuietHoursAsync("ana", new Notify.Client.Apps.QuietHours
        {
            Windows = [new Notify.Client.Apps.QuietWindow { Days = [Notify.Client.Apps.Weekday.Fri], From = new TimeOnly(8, 0), To = new TimeOnly(10, 0) }],
            Allow = [Priority.Critical],
        });
        await _ana.App.PutPreferencesAsync("ana", new Notify.Client.Apps.NotificationPreferences
        {
            Categories = new Dictionary<string, Notify.Client.Apps.CategoryPreference> { ["reply"] = new() { Muted = true } },
        });

        Assert.Equal(NotificationStatus.Held, (await _ana.NotifyAsync("mention")).Status);
        Assert.Equal(NotificationStatus.Suppressed, (await _ana.NotifyAsync("reply")).Status);
    }

    [Fact]
    public async Task PutQuietHours_Invalid_400NamingTheField()
    {
        var response = await _http.PutAsJsonAsync("/v1/users/ana/quiet-hours", new { windows = new[] { new { days = new[] { "fri" }, from = "7pm", to = "07:00" } } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid-quiet-hours", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("windows[0].from", out _));
    }

    [Fact]
    public async Task PutQuietHours_TheSameWindowTwice_400NamingTheSecond()
    {
        var response = await _http.PutAsJsonAsync("/v1/users/ana/quiet-hours", new
        {
            windows = new[]
            {
                new { days = new[] { "daily" }, from = "22:00", to = "07:00" },
                new { days = new[] { "mon", "tue", "wed", "thu", "fri", "sat", "sun" }, from = "22:00", to = "07:00" },
            },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid-quiet-hours", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("windows[1]", out _));
    }

    [Fact]
    public async Task QuietHours_DeviceMaySetItsOwnUsers_NotAnothers()
    {
        using var own = _server.Http(_ana.Devices["phone"].Token);
        var ok = await own.PutAsJsonAsync("/v1/users/ana/quiet-hours", new { windows = Array.Empty<object>(), snoozeUntil = "2026-11-27T12:00:00Z" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var other = await own.PutAsJsonAsync("/v1/users/bob/preferences", new { categories = new { } });
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task Notify_DuringQuietHours_IsHeld_ThenDeliveredWhenTheyEnd()
    {
        await PutQuietHoursAsync(new { windows = new[] { new { days = new[] { "fri" }, from = "08:00", to = "10:00" } } });
        var phone = await _ana.ConnectAsync("phone", Presence.Active);

        var response = await _ana.NotifyAsync();

        Assert.Equal(NotificationStatus.Held, response.Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero), response.Decision!.DeliverAt);
        _server.Time.Advance(TimeSpan.FromMinutes(59));
        await phone.PingAsync(Waits.Deadline());
        Assert.Equal(0, phone.Notifications.Count);

        _server.Time.Advance(TimeSpan.FromMinutes(1));

        await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        var details = await _ana.App.GetNotificationAsync(response.NotificationId);
        Assert.Equal(NotificationStatus.Delivered, details.Status);
        Assert.Contains(details.Trace, t => t.Message.StartsWith("held: quiet hours", StringComparison.Ordinal));
        Assert.Contains(details.Trace, t => t.Message.Contains("hold over"));
    }

    [Fact]
    public async Task DeferFor_EndingInQuietHours_WaitsForTheirEnd_NotForAnotherDeferral()
    {
        // Quiet from 09:15 to 10:00; the 30-minute deferral ends at 09:30, inside them.
        await PutQuietHoursAsync(new { windows = new[] { new { days = new[] { "fri" }, from = "09:15", to = "10:00" } } });
        var phone = await _ana.ConnectAsync("phone", Presence.Active);
        var response = await _ana.NotifyAsync("later");
        Assert.Equal(NotificationStatus.Held, response.Status);

        _server.Time.Advance(TimeSpan.FromMinutes(30));
        var deadline = Waits.Deadline();
        while (!(await _ana.App.GetNotificationAsync(response.NotificationId, deadline)).Trace.Any(t => t.Message.StartsWith("held: quiet hours", StringComparison.Ordinal)))
            await Task.Delay(10, deadline);
        _server.Time.Advance(TimeSpan.FromMinutes(30));

        await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
    }

    [Fact]
    public async Task Notify_AllowedPriority_PassesQuietHours()
    {
        await PutQuietHoursAsync(new { windows = new[] { new { days = new[] { "daily" }, from = "00:00", to = "00:00" } }, allow = new[] { "high" } });
        var phone = await _ana.ConnectAsync("phone", Presence.Active);

        var response = await _ana.App.NotifyAsync(new NotifyRequest { UserId = "ana", Category = "mention", Priority = Priority.High });

        Assert.Equal(NotificationStatus.Delivered, response.Status);
        await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
    }

    [Fact]
    public async Task Silent_DuringQuietHours_StaysSilentWhenReSentOnReconnect()
    {
        await PutQuietHoursAsync(new { windows = new[] { new { days = new[] { "fri" }, from = "08:00", to = "10:00" } } });
        await _ana.ConnectAsync("phone", Presence.Idle);
        var phone = await _ana.ConnectAsync("phone", Presence.Idle);
        await phone.ReportStateAsync(new DeviceStateReport { Battery = new BatteryState { Level = 0.9, Charging = true }, Connectivity = new ConnectivityState { Type = ConnectivityType.Wifi } });
        await phone.PingAsync();

        var response = await _ana.NotifyAsync("digest");
        var first = await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        Assert.True(first.Silent);
        await phone.DisconnectAsync();

        await using var again = _server.Device(_ana.Devices["phone"].Token);
        await again.ConnectAsync();
        Assert.True((await again.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline())).Silent);
    }

    [Fact]
    public async Task Notify_HeldPastItsTtl_Expires_NeverDelivered()
    {
        await PutQuietHoursAsync(new { windows = new[] { new { days = new[] { "fri" }, from = "08:00", to = "23:00" } } });
        var phone = await _ana.ConnectAsync("phone", Presence.Active);

        var response = await _ana.NotifyAsync(ttl: TimeSpan.FromHours(2));
        Assert.Equal(NotificationStatus.Held, response.Status);
        Assert.Null(response.Decision!.DeliverAt);

        _server.Time.Advance(TimeSpan.FromHours(2));
        var deadline = Waits.Deadline();
        while ((await _ana.App.GetNotificationAsync(response.NotificationId, deadline)).Status != NotificationStatus.Expired) await Task.Delay(10, deadline);
        _server.Time.Advance(TimeSpan.FromHours(12));
        await phone.PingAsync(Waits.Deadline());
        Assert.Equal(0, phone.Notifications.Count);
    }

    [Fact]
    public async Task Preferences_MutedCategory_IsSuppressed_OtherCategoriesStillGo()
    {
        var put = await _http.PutAsJsonAsync("/v1/users/ana/preferences", new { categories = new Dictionary<string, object> { ["mention"] = new { muted = true } } });
        put.EnsureSuccessStatusCode();
        await _ana.ConnectAsync("phone", Presence.Active);

        var muted = await _ana.NotifyAsync("mention");
        var other = await _ana.NotifyAsync("reply");

        Assert.Equal(NotificationStatus.Suppressed, muted.Status);
        Assert.Equal(NotificationStatus.Delivered, other.Status);
        Assert.Empty((await _ana.App.GetNotificationAsync(muted.NotificationId)).Deliveries);
        var stored = await _http.GetFromJsonAsync<JsonElement>("/v1/users/ana/preferences");
        Assert.True(stored.GetProperty("categories").GetProperty("mention").GetProperty("muted").GetBoolean());
    }

    [Fact]
    public async Task Preferences_InAppSwitchedOff_StepPassedOver()
    {
        var put = await _http.PutAsJsonAsync("/v1/users/ana/preferences",
            new { categories = new Dictionary<string, object> { ["*"] = new { channels = new { inApp = false } } } });
        put.EnsureSuccessStatusCode();

        var response = await _ana.NotifyAsync();

        Assert.Equal(NotificationStatus.Failed, response.Status);
        var details = await _ana.App.GetNotificationAsync(response.NotificationId);
        Assert.Contains(details.Trace, t => t.Message.Contains("switched inApp off"));
    }

    [Fact]
    public async Task Defer_UntilCharging_HeldUntilTheDeviceReportsCharging()
    {
        var phone = await _ana.ConnectAsync("phone", Presence.Idle);
        await phone.ReportStateAsync(new DeviceStateReport { Battery = new BatteryState { Level = 0.5, Charging = false } });
        await phone.PingAsync();

        var response = await _ana.NotifyAsync("digest");
        Assert.Equal(NotificationStatus.Held, response.Status);

        await phone.ReportStateAsync(new DeviceStateReport { Battery = new BatteryState { Level = 0.5, Charging = true } });

        await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        Assert.Equal(NotificationStatus.Delivered, (await _ana.App.GetNotificationAsync(response.NotificationId)).Status);
    }

    [Fact]
    public async Task Repeat_LastStepRepeatsUpToTheCap_ThenStops()
    {
        var phone = await _ana.ConnectAsync("phone", Presence.Active);
        var response = await _ana.NotifyAsync("alarm");
        await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());

        // One repeat per wait: advance, then await that repeat (each repeat's own timer is set when it fires).
        for (var repeat = 1; repeat <= 2; repeat++)
        {
            _server.Time.Advance(TimeSpan.FromMinutes(5));
            var n = repeat;
            await phone.WaitForNotificationAsync(x => x.Id == response.NotificationId && x.Repeat == n, Waits.Deadline());
        }
        // The cap: no timer for a third repeat, and waiting longer sends nothing more.
        await Waits.UntilAsync(() => _server.Count("timers WHERE kind = 'FollowUp'") == 0, "no follow-up timer after the last repeat");
        _server.Time.Advance(TimeSpan.FromMinutes(10));
        await phone.PingAsync(Waits.Deadline());
        var deliveries = (await _ana.App.GetNotificationAsync(response.NotificationId)).Deliveries;
        Assert.Equal(3, deliveries.Count);
        Assert.Contains(deliveries, d => d.Reason == "repeat 2");
        await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId && n.Repeat == 2, Waits.Deadline());
    }
}
