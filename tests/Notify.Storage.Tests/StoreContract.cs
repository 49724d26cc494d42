using System.Text.Json.Nodes;
using Notify.Engine.Channels;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Storage;
using Notify.Engine.Timers;

namespace Notify.Storage.Tests;

/// <summary>
/// The storage contract (<see cref="INotifyStore"/>, <see cref="IStoreBrowser"/>): what the engine relies on, whatever the
/// provider. One derived class per provider opens a fresh, empty store for each test.
/// </summary>
public abstract class StoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
    private INotifyStore? _store;

    /// <summary>Why this provider cannot run here (each test is then reported skipped with it), or null.</summary>
    protected abstract string? SkipReason { get; }
    protected abstract Task<INotifyStore> OpenAsync();
    protected abstract Task CloseAsync(INotifyStore store);
    /// <summary>Removes the store's data for good.</summary>
    protected abstract Task DropAsync();

    /// <summary>The store under test; skips the test when the provider is not available.</summary>
    protected INotifyStore Store
    {
        get
        {
            Skip.If(SkipReason is not null, SkipReason);
            return _store!;
        }
    }

    private IStoreBrowser Browser => (IStoreBrowser)Store;

    public async Task InitializeAsync()
    {
        if (SkipReason is null) _store = await OpenAsync();
    }

    public async Task DisposeAsync()
    {
        if (_store is null) return;
        await CloseAsync(_store);
        await DropAsync();
    }

    /// <summary>Closes the store and opens it again on the same data: what is committed must be there.</summary>
    protected async Task ReopenAsync()
    {
        await CloseAsync(Store);
        _store = await OpenAsync();
    }

    private static Notification Note(string id, string? idempotencyKey = null, string? collapseKey = null, string user = "ana") => new()
    {
        Id = id, AppId = "app", UserId = user, Category = "mention", Title = "t", Priority = Priority.High, CreatedAt = T0,
        ExpiresAt = T0.AddHours(1), RuleName = "r", RuleVersion = "v1", Status = NotificationStatus.Delivered, Step = 0,
        IdempotencyKey = idempotencyKey, CollapseKey = collapseKey, Data = new() { ["threadId"] = "t9" },
    };

    private static NotificationChange Insert(Notification n, params Delivery[] deliveries)
    {
        var change = new NotificationChange(n.Id) { Insert = n, ResponseJson = $"{{\"notificationId\":\"{n.Id}\"}}" };
        change.NewDeliveries.AddRange(deliveries);
        change.Trace.Add(new TraceEntry(T0, 0, "d1", "picked d1"));
        change.NewTimers.Add(new TimerRecord("t-" + n.Id, n.Id, TimerKind.FollowUp, 0, T0.AddMinutes(2)));
        return change;
    }

    private static Delivery InApp(string id, string notificationId, string device, DeliveryStatus status) =>
        new(id, notificationId, 0, device, Channel.InApp, status, T0, status == DeliveryStatus.Sent ? T0 : null, null);

    private static Delivery Push(string id, string notificationId, DeliveryStatus status, int minutes = 0) =>
        new(id, notificationId, 1, "d1", Channel.Push, status, T0.AddMinutes(minutes), null, null);

    private static WebhookEvent Event(string id, int minutes) =>
        new(id, "app", WebhookEventTypes.Delivered, T0.AddMinutes(minutes), new JsonObject { ["notificationId"] = "n1" });

    // ---- users and devices ----

    [SkippableFact]
    public async Task Users_UpsertThenGet_RoundTrips_AndIsScopedByApp()
    {
        await Store.UpsertUserAsync(new User("app", "ana", "ana@example.com", "Europe/Lisbon", "pt-PT", T0, T0));
        await Store.UpsertUserAsync(new User("app", "ana", null, "UTC", null, T0.AddDays(1), T0.AddMinutes(1)));

        var user = await Store.GetUserAsync("app", "ana");

        Assert.Equal(new User("app", "ana", null, "UTC", null, T0, T0.AddMinutes(1)), user);
        Assert.Null(await Store.GetUserAsync("other-app", "ana"));
    }

    [SkippableFact]
    public async Task Users_QuietHoursAndPreferences_KeptAcrossProfileUpserts_FalseForUnknownUser()
    {
        await Store.UpsertUserAsync(new User("app", "ana", null, "UTC", null, T0, T0));
        var quiet = new QuietHoursDocument([new QuietWindowInput(["mon"], "22:00", "07:00")], null, ["critical"]).ToSettings(out _)!;
        var prefs = new UserPreferences(new Dictionary<string, CategoryPreference> { ["promo"] = new(true, null) });

        Assert.True(await Store.SetQuietHoursAsync("app", "ana", quiet));
        Assert.True(await Store.SetPreferencesAsync("app", "ana", prefs));
        await Store.UpsertUserAsync(new User("app", "ana", "a@example.com", "UTC", null, T0, T0.AddMinutes(1)));

        var user = (await Store.GetUserAsync("app", "ana"))!;
        Assert.Equal([Priority.Critical], user.QuietHours.Allow);
        Assert.Single(user.QuietHours.Windows);
        Assert.True(user.Preferences.IsMuted("promo"));
        Assert.False(await Store.SetQuietHoursAsync("app", "nobody", quiet));
        Assert.False(await Store.SetPreferencesAsync("app", "nobody", prefs));
    }

    [SkippableFact]
    public async Task Devices_AddFindByHashUpdateStateDelete()
    {
        var device = new Device("d1", "app", "ana", Platform.Android, "phone", new PushRegistration("fcm", "tok", null, null), "hash1", T0);
        await Store.AddDeviceAsync(device);
        var state = new DeviceState(true, Presence.Active, true, new BatteryState(0.4, true, false), new ConnectivityState(ConnectivityType.Wifi, false),
            new GeoLocation(38.7, -9.1, 10), T0, T0);
        await Store.SaveDeviceStatesAsync([new("d1", state)]);

        Assert.Equal(device, await Store.FindDeviceByTokenHashAsync("hash1"));
        var stored = Assert.Single(await Store.GetDevicesAsync("app", "ana"));
        Assert.Equal(state, stored.State);

        var renamed = device with { Name = "new phone", Push = null, TokenHash = "hash2" };
        await Store.UpdateDeviceAsync(renamed);
        Assert.Null(await Store.FindDeviceByTokenHashAsync("hash1"));
        Assert.Equal(renamed, (await Store.GetDeviceAsync("d1"))!.Device);

        Assert.True(await Store.DeleteDeviceAsync("d1"));
        Assert.Null(await Store.FindDeviceByTokenHashAsync("hash2"));
        Assert.Null(await Store.GetDeviceAsync("d1"));
        Assert.False(await Store.DeleteDeviceAsync("d1"));
    }

    [SkippableFact]
    public async Task Devices_SameTokenHashTwice_IsRefused()
    {
        await Store.AddDeviceAsync(new Device("d1", "app", "ana", Platform.Web, null, null, "same", T0));

        await Assert.ThrowsAnyAsync<Exception>(() => Store.AddDeviceAsync(new Device("d2", "app", "ana", Platform.Web, null, null, "same", T0)));

        Assert.Equal("d1", (await Store.FindDeviceByTokenHashAsync("same"))!.Id);
    }

    [SkippableFact]
    public async Task SaveDeviceStates_WriteBehindOfMany_LatestWins_NewDeviceHasNone()
    {
        foreach (var id in new[] { "d1", "d2", "d3" })
            await Store.AddDeviceAsync(new Device(id, "app", "ana", Platform.Web, null, null, "h-" + id, T0));
        var online = DeviceState.Unknown with { Online = true, LastSeenAt = T0 };

        await Store.SaveDeviceStatesAsync([new("d1", online), new("d2", online), new("gone", online)]);
        await Store.SaveDeviceStatesAsync([new("d1", online with { Online = false, Presence = Presence.Away })]);

        var states = (await Store.GetDevicesAsync("app", "ana")).ToDictionary(d => d.Device.Id, d => d.State);
        Assert.Equal(online with { Online = false, Presence = Presence.Away }, states["d1"]);
        Assert.Equal(online, states["d2"]);
        Assert.Null(states["d3"]);
        Assert.Equal(["d1", "d2", "d3"], states.Keys.Order());
    }

    [SkippableFact]
    public async Task UsersAndDevices_ReadBetweenWrites_EveryReadSeesTheWriteBeforeIt()
    {
        // A store may keep users and devices in memory (SQLite does): a read before each write must not hide the write.
        await Store.UpsertUserAsync(new User("app", "ana", null, "UTC", null, T0, T0));
        Assert.Equal("UTC", (await Store.GetUserAsync("app", "ana"))!.TimeZone);
        await Store.UpsertUserAsync(new User("app", "ana", null, "Europe/Lisbon", null, T0, T0.AddMinutes(1)));
        Assert.Equal("Europe/Lisbon", (await Store.GetUserAsync("app", "ana"))!.TimeZone);
        var quiet = new QuietHoursDocument([new QuietWindowInput(["mon"], "22:00", "07:00")], null, ["critical"]).ToSettings(out _)!;
        Assert.True(await Store.SetQuietHoursAsync("app", "ana", quiet));
        Assert.Single((await Store.GetUserAsync("app", "ana"))!.QuietHours.Windows);
        Assert.True(await Store.SetPreferencesAsync("app", "ana", new UserPreferences(new Dictionary<string, CategoryPreference> { ["promo"] = new(true, null) })));
        Assert.True((await Store.GetUserAsync("app", "ana"))!.Preferences.IsMuted("promo"));

        Assert.Empty(await Store.GetDevicesAsync("app", "ana"));
        var phone = new Device("d1", "app", "ana", Platform.Android, "phone", null, "h1", T0);
        await Store.AddDeviceAsync(phone);
        Assert.Equal(["d1"], (await Store.GetDevicesAsync("app", "ana")).Select(d => d.Device.Id));
        await Store.AddDeviceAsync(new Device("d2", "app", "ana", Platform.Web, "laptop", null, "h2", T0));
        Assert.Equal(["d1", "d2"], (await Store.GetDevicesAsync("app", "ana")).Select(d => d.Device.Id));
        var online = DeviceState.Unknown with { Online = true, LastSeenAt = T0 };
        await Store.SaveDeviceStatesAsync([new("d1", online)]);
        Assert.Equal(online, (await Store.GetDevicesAsync("app", "ana"))[0].State);
        await Store.UpdateDeviceAsync(phone with { Name = "new phone" });
        Assert.Equal("new phone", (await Store.GetDevicesAsync("app", "ana"))[0].Device.Name);
        Assert.True(await Store.DeleteDeviceAsync("d2"));
        Assert.Equal(["d1"], (await Store.GetDevicesAsync("app", "ana")).Select(d => d.Device.Id));

        // Still so after a restart (nothing is served from memory that is not on disk).
        await ReopenAsync();
        var user = (await Store.GetUserAsync("app", "ana"))!;
        Assert.Equal("Europe/Lisbon", user.TimeZone);
        Assert.True(user.Preferences.IsMuted("promo"));
        var device = Assert.Single(await Store.GetDevicesAsync("app", "ana"));
        Assert.Equal(("new phone", online), (device.Device.Name, device.State));
    }

    // ---- commits ----

    [SkippableFact]
    public async Task Commit_InsertThenRead_HasDeliveriesTraceAttemptsAndTimers()
    {
        var n = Note("n1");
        var insert = Insert(n, InApp("dl1", "n1", "d1", DeliveryStatus.Sent));
        insert.Attempts.Add(new SendAttempt("dl1", T0, "fcm", SendOutcome.Sent, 200, null, TimeSpan.FromMilliseconds(12.5)));
        await Store.CommitAsync([insert]);

        var details = (await Store.GetNotificationAsync("n1"))!;
        Assert.Equal(n with { Data = null }, details.Notification with { Data = null });
        Assert.Equal(n.Data!.ToJsonString(), details.Notification.Data!.ToJsonString());
        Assert.Equal([InApp("dl1", "n1", "d1", DeliveryStatus.Sent)], details.Deliveries);
        Assert.Equal("picked d1", Assert.Single(details.Trace).Message);
        Assert.Equal(TimeSpan.FromMilliseconds(12.5), Assert.Single(details.Attempts).Latency);
        Assert.Equal("{\"notificationId\":\"n1\"}", details.ResponseJson);
        Assert.Equal("t-n1", Assert.Single(await Store.GetTimersDueBeforeAsync(T0.AddHours(1), 10)).Id);
        Assert.Null(await Store.GetNotificationAsync("nope"));
    }

    [SkippableFact]
    public async Task Commit_FiringOfATimerAlreadyGone_IsSkippedWhole()
    {
        await Store.CommitAsync([Insert(Note("n1"))]);
        NotificationChange Firing(string deliveryId)
        {
            var change = new NotificationChange("n1") { FiredTimer = "t-n1", Update = Note("n1") with { Step = 1 } };
            change.NewDeliveries.Add(InApp(deliveryId, "n1", "d2", DeliveryStatus.Sent));
            change.Trace.Add(new TraceEntry(T0.AddMinutes(2), 1, "d2", "following up"));
            return change;
        }

        var first = await Store.CommitAsync([Firing("dl2a")]);
        var second = await Store.CommitAsync([Firing("dl2b")]); // another node's firing of the same timer

        Assert.Null(first.Skipped);
        Assert.Equal(["n1"], second.Skipped!);
        var details = (await Store.GetNotificationAsync("n1"))!;
        Assert.Equal(["dl2a"], details.Deliveries.Where(d => d.Id.StartsWith("dl2", StringComparison.Ordinal)).Select(d => d.Id));
        Assert.Single(details.Trace, t => t.Message == "following up");
        Assert.Empty(await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
    }

    [SkippableFact]
    public async Task Commit_SameIdempotencyKeyWithinWindow_IsNotApplied_AndNamesTheFirst()
    {
        await Store.CommitAsync([Insert(Note("n1", "evt-1"))]);

        var second = await Store.CommitAsync([Insert(Note("n2", "evt-1"))]);

        Assert.True(second.IsDuplicate);
        Assert.Equal("n1", second.DuplicateOfNotificationId);
        Assert.Equal("{\"notificationId\":\"n1\"}", second.DuplicateResponseJson);
        Assert.Null(await Store.GetNotificationAsync("n2"));
        Assert.Single(await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
        var hit = (await Store.FindIdempotencyAsync("app", "evt-1", T0.AddHours(-24)))!;
        Assert.Equal(new IdempotencyHit("n1", "{\"notificationId\":\"n1\"}"), hit);
        Assert.Null(await Store.FindIdempotencyAsync("other-app", "evt-1", T0.AddHours(-24)));
        Assert.Null(await Store.FindIdempotencyAsync("app", "evt-1", T0.AddMinutes(1)));
    }

    [SkippableFact]
    public async Task Commit_KeyUsedBeforeTheGivenWindow_IsNotADuplicate_AndTakesTheKey()
    {
        await Store.CommitAsync([Insert(Note("n1", "evt-1"))]);
        var later = Insert(Note("n2", "evt-1") with { CreatedAt = T0.AddMinutes(2) });
        later.IdempotentSince = T0.AddMinutes(1);

        var result = await Store.CommitAsync([later]);

        Assert.False(result.IsDuplicate);
        Assert.NotNull(await Store.GetNotificationAsync("n2"));
        Assert.Equal("n2", (await Store.FindIdempotencyAsync("app", "evt-1", T0))!.NotificationId);
    }

    [SkippableFact]
    public async Task Commit_ConcurrentCommits_AllLand()
    {
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Store.CommitAsync([Insert(Note($"n{i}"))])));

        for (var i = 0; i < 50; i++) Assert.NotNull(await Store.GetNotificationAsync($"n{i}"));
        Assert.Equal(50, (await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 100)).Count);
    }

    [SkippableFact]
    public async Task Commit_ConcurrentSameIdempotencyKey_ExactlyOneIsApplied()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Store.CommitAsync([Insert(Note($"n{i}", "evt-race"))])));

        Assert.Single(results, r => !r.IsDuplicate);
        var winner = (await Store.FindIdempotencyAsync("app", "evt-race", T0.AddHours(-1)))!.NotificationId;
        Assert.All(results.Where(r => r.IsDuplicate), r => Assert.Equal(winner, r.DuplicateOfNotificationId));
        var stored = new List<string>();
        for (var i = 0; i < 8; i++)
            if (await Store.GetNotificationAsync($"n{i}") is { } d) stored.Add(d.Notification.Id);
        Assert.Equal([winner], stored);
    }

    [SkippableFact]
    public async Task Commit_OneChangeFails_NothingOfTheCommitIsApplied()
    {
        await Store.CommitAsync([Insert(Note("n1"))]);
        var fine = Insert(Note("n2"));
        fine.Events.Add(Event("e2", 0));

        await Assert.ThrowsAnyAsync<Exception>(() => Store.CommitAsync([fine, Insert(Note("n1"))]));

        Assert.Null(await Store.GetNotificationAsync("n2"));
        Assert.Empty(await Store.GetDueWebhooksAsync(T0.AddDays(1), 10));
        Assert.Equal(["t-n1"], (await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 10)).Select(t => t.Id));
    }

    [SkippableFact]
    public async Task Commit_Updates_StatusDeliveriesAttemptsAndDeleteAllTimers()
    {
        await Store.CommitAsync([Insert(Note("n1"), InApp("dl1", "n1", "d1", DeliveryStatus.Sent))]);
        var change = new NotificationChange("n1")
        {
            Update = Note("n1") with { Status = NotificationStatus.Seen, AcknowledgedAt = T0, AcknowledgedBy = "d1" }, DeleteAllTimers = true,
        };
        change.DeliveryUpdates.Add(new DeliveryUpdate("dl1", DeliveryStatus.Acknowledged, T0, "seen"));
        change.Trace.Add(new TraceEntry(T0.AddMinutes(1), 0, "d1", "seen on d1"));
        change.NewTimers.Add(new TimerRecord("ignored", "n1", TimerKind.Expire, -1, T0.AddMinutes(5)));
        await Store.CommitAsync([change]);

        var details = (await Store.GetNotificationAsync("n1"))!;
        Assert.Equal(NotificationStatus.Seen, details.Notification.Status);
        Assert.Equal(T0, details.Notification.AcknowledgedAt);
        Assert.Equal("d1", details.Notification.AcknowledgedBy);
        Assert.Equal(new DeliveryUpdate("dl1", DeliveryStatus.Acknowledged, T0, "seen"),
            details.Deliveries.Select(d => new DeliveryUpdate(d.Id, d.Status, d.SentAt, d.Reason)).Single());
        Assert.Equal(["picked d1", "seen on d1"], details.Trace.Select(t => t.Message));
        Assert.Empty(await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
    }

    [SkippableFact]
    public async Task Commit_NewDeliveryBesideUpdateOfAnother_BothApplied_ReasonKeptWhenNull()
    {
        await Store.CommitAsync([Insert(Note("n1"), InApp("dl1", "n1", "d1", DeliveryStatus.Pending) with { Reason = "offline" })]);
        var change = new NotificationChange("n1") { Update = Note("n1") with { Step = 1 }, ExpectedStatus = NotificationStatus.Delivered };
        change.DeliveryUpdates.Add(new DeliveryUpdate("dl1", DeliveryStatus.Dropped, null, null));
        change.NewDeliveries.Add(Push("dl2", "n1", DeliveryStatus.Pending));
        change.DeliveryUpdates.Add(new DeliveryUpdate("dl2", DeliveryStatus.Sent, T0, "accepted"));
        change.DeletedTimers.Add("t-n1");

        var result = await Store.CommitAsync([change]);

        Assert.Null(result.Skipped);
        var deliveries = (await Store.GetNotificationAsync("n1"))!.Deliveries.ToDictionary(d => d.Id);
        Assert.Equal((DeliveryStatus.Dropped, "offline"), (deliveries["dl1"].Status, deliveries["dl1"].Reason));
        Assert.Equal((DeliveryStatus.Sent, "accepted", (DateTimeOffset?)T0), (deliveries["dl2"].Status, deliveries["dl2"].Reason, deliveries["dl2"].SentAt));
        Assert.Equal(1, (await Store.GetNotificationAsync("n1"))!.Notification.Step);
        Assert.Empty(await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
    }

    [SkippableFact]
    public async Task Commit_ExpectedStatusNoLongerHolds_SkipsTheWholeChange()
    {
        await Store.CommitAsync([Insert(Note("n1"), InApp("dl1", "n1", "d1", DeliveryStatus.Sent))]);
        var seen = new NotificationChange("n1") { Update = Note("n1") with { Status = NotificationStatus.Seen }, ExpectedStatus = NotificationStatus.Delivered };
        await Store.CommitAsync([seen]);
        var stale = new NotificationChange("n1") { Update = Note("n1") with { Status = NotificationStatus.Collapsed }, ExpectedStatus = NotificationStatus.Delivered, DeleteAllTimers = true };
        stale.DeliveryUpdates.Add(new DeliveryUpdate("dl1", DeliveryStatus.Cleared, T0, "collapsed"));
        stale.Trace.Add(new TraceEntry(T0, null, null, "collapsed"));
        stale.Events.Add(Event("e1", 0));

        var result = await Store.CommitAsync([stale]);

        Assert.Equal(["n1"], result.Skipped!);
        var details = (await Store.GetNotificationAsync("n1"))!;
        Assert.Equal(NotificationStatus.Seen, details.Notification.Status);
        Assert.Equal(DeliveryStatus.Sent, details.Deliveries.Single().Status);
        Assert.Single(details.Trace);
        Assert.Single(await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
        Assert.Empty(await Store.GetDueWebhooksAsync(T0.AddDays(1), 10));
    }

    [SkippableFact]
    public async Task Commit_SpanningNotifications_InsertAndCollapse_BothApplied_StaleOneSkipped()
    {
        await Store.CommitAsync([Insert(Note("old", collapseKey: "thread"))]);
        await Store.CommitAsync([Insert(Note("older", collapseKey: "thread"))]);
        await Store.CommitAsync([new NotificationChange("older") { Update = Note("older") with { Status = NotificationStatus.Seen } }]);
        var collapse = new NotificationChange("old")
        {
            Update = Note("old") with { Status = NotificationStatus.Collapsed }, ExpectedStatus = NotificationStatus.Delivered, DeleteAllTimers = true,
        };
        var stale = new NotificationChange("older")
        {
            Update = Note("older") with { Status = NotificationStatus.Collapsed }, ExpectedStatus = NotificationStatus.Delivered, DeleteAllTimers = true,
        };

        var result = await Store.CommitAsync([Insert(Note("new", collapseKey: "thread")), collapse, stale]);

        Assert.Equal(["older"], result.Skipped!);
        Assert.Equal(NotificationStatus.Collapsed, (await Store.GetNotificationAsync("old"))!.Notification.Status);
        Assert.Equal(NotificationStatus.Seen, (await Store.GetNotificationAsync("older"))!.Notification.Status);
        Assert.Equal(["new"], (await Store.FindOpenByCollapseKeyAsync("app", "ana", "thread")).Select(d => d.Notification.Id));
        Assert.Equal(["t-new", "t-older"], (await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 10)).Select(t => t.Id).Order());
    }

    // ---- reads ----

    [SkippableFact]
    public async Task OpenInAppDeliveries_OnlyPendingOrSentOfOpenUnexpiredNotifications()
    {
        await Store.CommitAsync([Insert(Note("open"), InApp("a", "open", "d1", DeliveryStatus.Pending), Push("p", "open", DeliveryStatus.Pending))]);
        await Store.CommitAsync([Insert(Note("seen") with { Status = NotificationStatus.Seen }, InApp("b", "seen", "d1", DeliveryStatus.Sent))]);
        await Store.CommitAsync([Insert(Note("cleared"), InApp("c", "cleared", "d1", DeliveryStatus.Cleared))]);
        await Store.CommitAsync([Insert(Note("other-device"), InApp("d", "other-device", "d2", DeliveryStatus.Pending))]);
        await Store.CommitAsync([Insert(Note("also-open"), InApp("0", "also-open", "d1", DeliveryStatus.Sent))]);

        var open = await Store.GetOpenInAppDeliveriesAsync("d1", T0);

        Assert.Equal(["0", "a"], open.Select(o => o.Delivery.Id));
        Assert.Equal("open", open[1].Notification.Id);
        Assert.Empty(await Store.GetOpenInAppDeliveriesAsync("d1", T0.AddHours(2)));
    }

    [SkippableFact]
    public async Task FindOpenByCollapseKey_OnlyOpenOnesOfThatUserAndKey()
    {
        await Store.CommitAsync([Insert(Note("a", collapseKey: "thread"))]);
        await Store.CommitAsync([Insert(Note("b", collapseKey: "thread") with { Status = NotificationStatus.Collapsed })]);
        await Store.CommitAsync([Insert(Note("c", collapseKey: "other"))]);
        await Store.CommitAsync([Insert(Note("d", collapseKey: "thread", user: "bob"))]);
        await Store.CommitAsync([Insert(Note("e", collapseKey: "thread") with { Status = NotificationStatus.Held, Hold = HoldKind.Timer })]);

        Assert.Equal(["a", "e"], (await Store.FindOpenByCollapseKeyAsync("app", "ana", "thread")).Select(d => d.Notification.Id).Order());
    }

    [SkippableFact]
    public async Task Held_TheUsersHeldOnes_AndUsersWithDeviceHolds()
    {
        await Store.CommitAsync([Insert(Note("q") with { Status = NotificationStatus.Held, Hold = HoldKind.QuietHours })]);
        await Store.CommitAsync([Insert(Note("dev") with { Status = NotificationStatus.Held, Hold = HoldKind.Device, HoldStep = 1 })]);
        await Store.CommitAsync([Insert(Note("dev2") with { Status = NotificationStatus.Held, Hold = HoldKind.Device })]);
        await Store.CommitAsync([Insert(Note("bob-dev", user: "bob") with { Status = NotificationStatus.Held, Hold = HoldKind.Device })]);
        await Store.CommitAsync([Insert(Note("sent"))]);

        var held = await Store.GetHeldAsync("app", "ana");

        Assert.Equal(["dev", "dev2", "q"], held.Select(d => d.Notification.Id).Order());
        Assert.Equal((HoldKind?)HoldKind.Device, held.Single(d => d.Notification.Id == "dev").Notification.Hold);
        Assert.Equal(1, held.Single(d => d.Notification.Id == "dev").Notification.HoldStep);
        Assert.Equal([("app", "ana"), ("app", "bob")], (await Store.GetUsersWithDeviceHoldsAsync()).Order());

        await Store.CommitAsync([new NotificationChange("bob-dev") { Update = Note("bob-dev", user: "bob") with { Hold = HoldKind.Device } }]);
        Assert.Equal([("app", "ana")], await Store.GetUsersWithDeviceHoldsAsync());
        Assert.Null((await Store.GetNotificationAsync("bob-dev"))!.Notification.Hold);
    }

    [SkippableFact]
    public async Task TimersDue_BeforeTheInstant_EarliestFirst_UpToTheLimit()
    {
        var change = Insert(Note("n1"));
        change.NewTimers.Clear();
        change.NewTimers.AddRange([
            new TimerRecord("late", "n1", TimerKind.Expire, -1, T0.AddHours(1)),
            new TimerRecord("first", "n1", TimerKind.FollowUp, 0, T0.AddMinutes(1)),
            new TimerRecord("second", "n1", TimerKind.Release, 2, T0.AddMinutes(2), 3),
        ]);
        await Store.CommitAsync([change]);

        Assert.Equal(["first", "second"], (await Store.GetTimersDueBeforeAsync(T0.AddHours(1), 10)).Select(t => t.Id));
        Assert.Equal(["first"], (await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 1)).Select(t => t.Id));
        Assert.Equal(new TimerRecord("second", "n1", TimerKind.Release, 2, T0.AddMinutes(2), 3),
            (await Store.GetTimersDueBeforeAsync(T0.AddHours(1), 10))[1]);
    }

    // ---- timer leases ----

    private async Task TimersAsync(params (string Id, int Minutes)[] timers)
    {
        var change = Insert(Note("n1"));
        change.NewTimers.Clear();
        change.NewTimers.AddRange(timers.Select(t => new TimerRecord(t.Id, "n1", TimerKind.FollowUp, 0, T0.AddMinutes(t.Minutes))));
        await Store.CommitAsync([change]);
    }

    private static string[] Ids(IEnumerable<TimerRecord> timers) => timers.Select(t => t.Id).ToArray();

    [SkippableFact]
    public async Task ClaimTimers_FreeTimersDueBefore_EarliestFirst_UpToTheLimit_NeverOnesWithALiveLease()
    {
        await TimersAsync(("t3", 3), ("t1", 1), ("t2", 2), ("t9", 9));

        var first = await Store.ClaimTimersAsync("a", T0.AddMinutes(5), T0, T0.AddMinutes(1), 2);
        var second = await Store.ClaimTimersAsync("b", T0.AddMinutes(5), T0, T0.AddMinutes(1), 10);
        var third = await Store.ClaimTimersAsync("b", T0.AddMinutes(5), T0.AddSeconds(59), T0.AddMinutes(2), 10);

        Assert.Equal(["t1", "t2"], Ids(first));
        Assert.Equal(["t3"], Ids(second)); // not t1/t2 (leased to a), not t9 (due later)
        Assert.Empty(third); // a's lease is live until T0+1m
        Assert.Equal(new TimerRecord("t1", "n1", TimerKind.FollowUp, 0, T0.AddMinutes(1)), first[0]);
    }

    [SkippableFact]
    public async Task ClaimTimers_LeaseRanOut_AnotherOwnerClaimsIt_AndTheOldOwnerCanNoLongerRenewIt()
    {
        await TimersAsync(("t1", 1));
        Assert.Single(await Store.ClaimTimersAsync("a", T0.AddMinutes(5), T0, T0.AddMinutes(1), 10));

        var taken = await Store.ClaimTimersAsync("b", T0.AddMinutes(5), T0.AddMinutes(1), T0.AddMinutes(2), 10);

        Assert.Equal(["t1"], Ids(taken));
        Assert.Equal(0, await Store.RenewTimerLeasesAsync("a", T0.AddMinutes(9), T0.AddMinutes(9)));
        Assert.Equal(0, await Store.ReleaseTimerLeasesAsync("a"));
        Assert.Empty(await Store.ClaimTimersAsync("c", T0.AddMinutes(5), T0.AddMinutes(1).AddSeconds(59), T0.AddMinutes(3), 10));
    }

    [SkippableFact]
    public async Task RenewTimerLeases_ExtendsTheOwnersLeasesEndingBefore_SoNoOtherClaimsThemWhileRenewed()
    {
        await TimersAsync(("t1", 1), ("t2", 2), ("t3", 3), ("t4", 4));
        await Store.ClaimTimersAsync("a", T0.AddMinutes(2.5), T0, T0.AddMinutes(1), 10);
        await Store.ClaimTimersAsync("b", T0.AddMinutes(3.5), T0, T0.AddMinutes(1), 10);
        await Store.ClaimTimersAsync("a", T0.AddMinutes(5), T0, T0.AddMinutes(10), 10);

        // Only a's leases ending before 1m30s (t1, t2) are written; t4's (until 10m) is left as it is.
        Assert.Equal(2, await Store.RenewTimerLeasesAsync("a", T0.AddMinutes(1.5), T0.AddMinutes(3)));
        Assert.Equal(0, await Store.RenewTimerLeasesAsync("a", T0.AddMinutes(1.5), T0.AddMinutes(3)));

        Assert.Equal(["t3"], Ids(await Store.ClaimTimersAsync("c", T0.AddMinutes(5), T0.AddMinutes(2), T0.AddMinutes(4), 10)));
        Assert.Empty(await Store.ClaimTimersAsync("c", T0.AddMinutes(5), T0.AddMinutes(2.9), T0.AddMinutes(4), 10));
        Assert.Equal(["t1", "t2"], Ids(await Store.ClaimTimersAsync("c", T0.AddMinutes(5), T0.AddMinutes(3), T0.AddMinutes(4), 10)));
    }

    [SkippableFact]
    public async Task ReleaseTimerLeases_AllOrSome_AnotherNodeClaimsThemAtOnce()
    {
        await TimersAsync(("t1", 1), ("t2", 2), ("t3", 3));
        await Store.ClaimTimersAsync("a", T0.AddMinutes(5), T0, T0.AddMinutes(10), 10);

        Assert.Equal(1, await Store.ReleaseTimerLeasesAsync("a", ["t2"]));
        Assert.Equal(["t2"], Ids(await Store.ClaimTimersAsync("b", T0.AddMinutes(5), T0, T0.AddMinutes(10), 10)));
        Assert.Equal(0, await Store.ReleaseTimerLeasesAsync("a", ["t2"])); // b's now
        Assert.Equal(2, await Store.ReleaseTimerLeasesAsync("a"));
        Assert.Equal(["t1", "t3"], Ids(await Store.ClaimTimersAsync("b", T0.AddMinutes(5), T0, T0.AddMinutes(10), 10)));
    }

    [SkippableFact]
    public async Task ClaimTimers_ConcurrentClaims_EachTimerGoesToOneOwner()
    {
        await TimersAsync(Enumerable.Range(0, 60).Select(i => ($"t{i:00}", i % 7)).ToArray());

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Store.ClaimTimersAsync($"node{i}", T0.AddMinutes(10), T0, T0.AddMinutes(1), 7)));
        var rest = await Store.ClaimTimersAsync("last", T0.AddMinutes(10), T0, T0.AddMinutes(1), 100);

        var all = claims.SelectMany(Ids).Concat(Ids(rest)).ToList();
        Assert.Equal(60, all.Count);
        Assert.Equal(60, all.Distinct().Count());
    }

    [SkippableFact]
    public async Task Commit_NewTimersWithALease_DueBeforeItsEnd_StoredLeased_LaterOnesFree()
    {
        var change = Insert(Note("n1"));
        change.NewTimers.Clear();
        change.NewTimers.AddRange([
            new TimerRecord("soon", "n1", TimerKind.FollowUp, 0, T0.AddSeconds(20)),
            new TimerRecord("later", "n1", TimerKind.Expire, -1, T0.AddHours(1)),
        ]);
        change.NewTimersLease = new TimerLease("a", T0.AddSeconds(30), T0.AddSeconds(30));
        await Store.CommitAsync([change]);

        Assert.Equal(["later"], Ids(await Store.ClaimTimersAsync("b", T0.AddDays(1), T0, T0.AddMinutes(1), 10)));
        Assert.Equal(1, await Store.ReleaseTimerLeasesAsync("a"));
    }

    [SkippableFact]
    public async Task ClaimTimers_FiredTimerIsGone_NotClaimedAgain()
    {
        await TimersAsync(("t1", 1));
        Assert.Single(await Store.ClaimTimersAsync("a", T0.AddMinutes(5), T0, T0.AddMinutes(1), 10));
        await Store.CommitAsync([new NotificationChange("n1") { FiredTimer = "t1" }]);

        Assert.Empty(await Store.ClaimTimersAsync("b", T0.AddMinutes(5), T0.AddMinutes(2), T0.AddMinutes(3), 10));
    }

    [SkippableFact]
    public async Task PendingSends_PushAndEmailPendingOfOpenUnexpired_OldestFirst()
    {
        await Store.CommitAsync([Insert(Note("n1"), Push("p2", "n1", DeliveryStatus.Pending, 2), Push("sent", "n1", DeliveryStatus.Sent),
            InApp("in", "n1", "d1", DeliveryStatus.Pending))]);
        await Store.CommitAsync([Insert(Note("n2") with { Status = NotificationStatus.Scheduled }, Push("p1", "n2", DeliveryStatus.Pending, 1))]);
        await Store.CommitAsync([Insert(Note("held") with { Status = NotificationStatus.Held, Hold = HoldKind.Timer }, Push("ph", "held", DeliveryStatus.Pending))]);
        await Store.CommitAsync([Insert(Note("done") with { Status = NotificationStatus.Seen }, Push("pd", "done", DeliveryStatus.Pending))]);

        Assert.Equal([new PendingSend("n2", "p1"), new PendingSend("n1", "p2")], await Store.GetPendingSendsAsync(T0, 10));
        Assert.Equal([new PendingSend("n2", "p1")], await Store.GetPendingSendsAsync(T0, 1));
        Assert.Empty(await Store.GetPendingSendsAsync(T0.AddHours(1), 10));
    }

    [SkippableFact]
    public async Task WebhookOutbox_DueOldestFirst_RetryLater_DoneLeavesTheOutbox()
    {
        var change = Insert(Note("n1"));
        change.Events.AddRange([Event("e2", 2), Event("e1", 1), Event("e3", 30)]);
        await Store.CommitAsync([change]);

        var due = await Store.GetDueWebhooksAsync(T0.AddMinutes(5), 10);
        Assert.Equal(["e1", "e2"], due.Select(e => e.Id));
        Assert.Equal((T0.AddMinutes(1), T0.AddMinutes(1), 0), (due[0].CreatedAt, due[0].DueAt, due[0].Attempts));
        Assert.Contains("\"id\":\"e1\"", due[0].PayloadJson);
        Assert.Equal(T0.AddMinutes(1), await Store.GetNextWebhookDueAsync());

        await Store.UpdateWebhookAsync("e1", 1, T0.AddMinutes(10), "HTTP 500");
        await Store.UpdateWebhookAsync("e2", 1, null, null);

        Assert.Empty(await Store.GetDueWebhooksAsync(T0.AddMinutes(5), 10));
        var retried = Assert.Single(await Store.GetDueWebhooksAsync(T0.AddMinutes(10), 10));
        Assert.Equal(("e1", 1), (retried.Id, retried.Attempts));
        Assert.Equal(T0.AddMinutes(10), await Store.GetNextWebhookDueAsync());
        await Store.UpdateWebhookAsync("e1", 2, null, "gave up");
        await Store.UpdateWebhookAsync("e3", 1, null, null);
        Assert.Null(await Store.GetNextWebhookDueAsync());
    }

    [SkippableFact]
    public async Task RuleVersions_SavedOnce_FirstSourceKept()
    {
        await Store.SaveRuleVersionAsync("default", "v1", "steps: []", T0);
        await Store.SaveRuleVersionAsync("default", "v1", "something else", T0.AddMinutes(1));

        Assert.Equal("steps: []", await Store.GetRuleVersionSourceAsync("v1"));
        Assert.Null(await Store.GetRuleVersionSourceAsync("v2"));
    }

    [SkippableFact]
    public async Task Browse_ListUsersPaged_RecentNotificationsNewestFirst()
    {
        foreach (var (app, id) in new[] { ("app", "cy"), ("app", "ana"), ("b-app", "zed"), ("app", "bob") })
            await Store.UpsertUserAsync(new User(app, id, null, "UTC", null, T0, T0));
        for (var i = 1; i <= 3; i++) await Store.CommitAsync([Insert(Note($"n{i}"), InApp($"d{i}", $"n{i}", "d1", DeliveryStatus.Sent))]);

        Assert.Equal(["ana", "bob"], (await Browser.ListUsersAsync("app", null, null, 2)).Select(u => u.Id));
        Assert.Equal(["cy"], (await Browser.ListUsersAsync("app", null, "bob", 10)).Select(u => u.Id));
        Assert.Equal([("app", "cy"), ("b-app", "zed")], (await Browser.ListUsersAsync(null, "app", "bob", 10)).Select(u => (u.AppId, u.Id)));
        Assert.Equal(["n3", "n2"], (await Browser.GetRecentNotificationsAsync("app", "ana", null, 2)).Select(n => n.Id));
        Assert.Equal(["n1"], (await Browser.GetRecentNotificationsAsync("app", "ana", "n2", 10)).Select(n => n.Id));
        Assert.Empty(await Browser.GetRecentNotificationsAsync("app", "bob", null, 10));
    }

    [SkippableFact]
    public async Task Reopen_EverythingCommittedIsThere()
    {
        await Store.CommitAsync([Insert(Note("n1"))]);
        await Store.SaveRuleVersionAsync("r", "v1", "steps: []", T0);

        await ReopenAsync();

        Assert.NotNull(await Store.GetNotificationAsync("n1"));
        Assert.Single(await Store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
        Assert.Equal("steps: []", await Store.GetRuleVersionSourceAsync("v1"));
        Assert.True(await Store.PingAsync());
    }
}
