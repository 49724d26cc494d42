using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Data.Sqlite;
using Notify.Engine.Model;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Storage.Sqlite;

namespace Notify.Storage.Sqlite.Tests;

/// <summary>The storage contract on a real SQLite file in a temp folder.</summary>
public sealed class SqliteStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
    private readonly string _dir = Directory.CreateTempSubdirectory("notify-store-").FullName;
    private SqliteStore _store = null!;

    private string DbPath => Path.Combine(_dir, "notify.db");

    public Task InitializeAsync()
    {
        _store = Open();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private SqliteStore Open() => new(new SqliteOptions { Path = DbPath }, NullLogger<SqliteStore>.Instance);

    private static Notification Note(string id, string? idempotencyKey = null, string? collapseKey = null) => new()
    {
        Id = id, AppId = "app", UserId = "ana", Category = "mention", Title = "t", Priority = Priority.High, CreatedAt = T0,
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

    [Fact]
    public async Task Users_UpsertThenGet_RoundTrips_AndIsScopedByApp()
    {
        await _store.UpsertUserAsync(new User("app", "ana", "ana@example.com", "Europe/Lisbon", "pt-PT", T0, T0));
        await _store.UpsertUserAsync(new User("app", "ana", null, "UTC", null, T0, T0.AddMinutes(1)));

        var user = await _store.GetUserAsync("app", "ana");
        Assert.Equal(new User("app", "ana", null, "UTC", null, T0, T0.AddMinutes(1)), user);
        Assert.Null(await _store.GetUserAsync("other-app", "ana"));
    }

    [Fact]
    public async Task Devices_AddFindByHashUpdateStateDelete()
    {
        var device = new Device("d1", "app", "ana", Platform.Android, "phone", new PushRegistration("fcm", "tok", null, null), "hash1", T0);
        await _store.AddDeviceAsync(device);
        var state = new DeviceState(true, Presence.Active, true, new BatteryState(0.4, true, false), new ConnectivityState(ConnectivityType.Wifi, false),
            new GeoLocation(38.7, -9.1, 10), T0, T0);
        await _store.SaveDeviceStatesAsync([new("d1", state)]);

        Assert.Equal(device, await _store.FindDeviceByTokenHashAsync("hash1"));
        var stored = Assert.Single(await _store.GetDevicesAsync("app", "ana"));
        Assert.Equal(state, stored.State);
        Assert.True(await _store.DeleteDeviceAsync("d1"));
        Assert.Null(await _store.FindDeviceByTokenHashAsync("hash1"));
        Assert.False(await _store.DeleteDeviceAsync("d1"));
    }

    [Fact]
    public async Task Commit_InsertThenRead_HasDeliveriesTraceAndTimers()
    {
        var n = Note("n1");
        await _store.CommitAsync([Insert(n, InApp("dl1", "n1", "d1", DeliveryStatus.Sent))]);

        var details = (await _store.GetNotificationAsync("n1"))!;
        Assert.Equal(n with { Data = null }, details.Notification with { Data = null });
        Assert.Equal(n.Data!.ToJsonString(), details.Notification.Data!.ToJsonString());
        Assert.Equal("dl1", Assert.Single(details.Deliveries).Id);
        Assert.Equal("picked d1", Assert.Single(details.Trace).Message);
        Assert.Equal("t-n1", Assert.Single(await _store.GetTimersDueBeforeAsync(T0.AddHours(1), 10)).Id);
    }

    [Fact]
    public async Task Commit_SameIdempotencyKeyWithinWindow_IsNotApplied_AndNamesTheFirst()
    {
        await _store.CommitAsync([Insert(Note("n1", "evt-1"))]);

        var second = await _store.CommitAsync([Insert(Note("n2", "evt-1"))]);

        Assert.True(second.IsDuplicate);
        Assert.Equal("n1", second.DuplicateOfNotificationId);
        Assert.Equal("{\"notificationId\":\"n1\"}", second.DuplicateResponseJson);
        Assert.Null(await _store.GetNotificationAsync("n2"));
        Assert.Equal("n1", (await _store.FindIdempotencyAsync("app", "evt-1", T0.AddHours(-24)))!.NotificationId);
        Assert.Null(await _store.FindIdempotencyAsync("other-app", "evt-1", T0.AddHours(-24)));
    }

    [Fact]
    public async Task Commit_KeyUsedBeforeTheGivenWindow_IsNotADuplicate()
    {
        await _store.CommitAsync([Insert(Note("n1", "evt-1"))]);
        var later = Insert(Note("n2", "evt-1"));
        later.IdempotentSince = T0.AddMinutes(1);

        var result = await _store.CommitAsync([later]);

        Assert.False(result.IsDuplicate);
        Assert.Equal("n2", (await _store.FindIdempotencyAsync("app", "evt-1", T0))!.NotificationId);
    }

    [Fact]
    public async Task Commit_ConcurrentWrites_ShareBatches_AndAllLand()
    {
        var writes = Enumerable.Range(0, 200).Select(i => _store.CommitAsync([Insert(Note($"n{i}"))]));
        await Task.WhenAll(writes);
        for (var i = 0; i < 200; i++) Assert.NotNull(await _store.GetNotificationAsync($"n{i}"));
    }

    [Fact]
    public async Task Commit_OneFailingWrite_DoesNotUndoItsNeighbours()
    {
        await _store.CommitAsync([Insert(Note("n1"))]);
        var duplicateId = _store.CommitAsync([Insert(Note("n1"))]);
        var fine = _store.CommitAsync([Insert(Note("n2"))]);

        await Assert.ThrowsAsync<SqliteException>(() => duplicateId);
        await fine;
        Assert.NotNull(await _store.GetNotificationAsync("n2"));
    }

    [Fact]
    public async Task Updates_StatusDeliveriesAndDeleteAllTimers()
    {
        await _store.CommitAsync([Insert(Note("n1"), InApp("dl1", "n1", "d1", DeliveryStatus.Sent))]);
        var change = new NotificationChange("n1") { Update = Note("n1") with { Status = NotificationStatus.Seen, AcknowledgedAt = T0, AcknowledgedBy = "d1" }, DeleteAllTimers = true };
        change.DeliveryUpdates.Add(new DeliveryUpdate("dl1", DeliveryStatus.Acknowledged, T0, "seen"));
        await _store.CommitAsync([change]);

        var details = (await _store.GetNotificationAsync("n1"))!;
        Assert.Equal(NotificationStatus.Seen, details.Notification.Status);
        Assert.Equal("d1", details.Notification.AcknowledgedBy);
        Assert.Equal(DeliveryStatus.Acknowledged, details.Deliveries.Single().Status);
        Assert.Empty(await _store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
    }

    [Fact]
    public async Task Commit_ExpectedStatusNoLongerHolds_SkipsTheWholeChange()
    {
        await _store.CommitAsync([Insert(Note("n1"), InApp("dl1", "n1", "d1", DeliveryStatus.Sent))]);
        var seen = new NotificationChange("n1") { Update = Note("n1") with { Status = NotificationStatus.Seen }, ExpectedStatus = NotificationStatus.Delivered };
        await _store.CommitAsync([seen]);
        var stale = new NotificationChange("n1") { Update = Note("n1") with { Status = NotificationStatus.Collapsed }, ExpectedStatus = NotificationStatus.Delivered, DeleteAllTimers = true };
        stale.DeliveryUpdates.Add(new DeliveryUpdate("dl1", DeliveryStatus.Cleared, T0, "collapsed"));

        var result = await _store.CommitAsync([stale]);

        Assert.Contains("n1", result.Skipped!);
        var details = (await _store.GetNotificationAsync("n1"))!;
        Assert.Equal(NotificationStatus.Seen, details.Notification.Status);
        Assert.Equal(DeliveryStatus.Sent, details.Deliveries.Single().Status);
        Assert.Single(await _store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
    }

    [Fact]
    public async Task OpenInAppDeliveries_OnlyPendingOrSentOfOpenUnexpiredNotifications()
    {
        await _store.CommitAsync([Insert(Note("open"), InApp("a", "open", "d1", DeliveryStatus.Pending))]);
        await _store.CommitAsync([Insert(Note("seen") with { Status = NotificationStatus.Seen }, InApp("b", "seen", "d1", DeliveryStatus.Sent))]);
        await _store.CommitAsync([Insert(Note("cleared"), InApp("c", "cleared", "d1", DeliveryStatus.Cleared))]);
        await _store.CommitAsync([Insert(Note("other-device"), InApp("d", "other-device", "d2", DeliveryStatus.Pending))]);

        Assert.Equal(["a"], (await _store.GetOpenInAppDeliveriesAsync("d1", T0)).Select(o => o.Delivery.Id));
        Assert.Empty(await _store.GetOpenInAppDeliveriesAsync("d1", T0.AddHours(2)));
    }

    [Fact]
    public async Task FindOpenByCollapseKey_OnlyOpenOnes()
    {
        await _store.CommitAsync([Insert(Note("a", collapseKey: "thread"))]);
        await _store.CommitAsync([Insert(Note("b", collapseKey: "thread") with { Status = NotificationStatus.Collapsed })]);
        await _store.CommitAsync([Insert(Note("c", collapseKey: "other"))]);

        Assert.Equal(["a"], (await _store.FindOpenByCollapseKeyAsync("app", "ana", "thread")).Select(d => d.Notification.Id));
    }

    [Fact]
    public async Task Reopen_EverythingCommittedIsThere()
    {
        await _store.CommitAsync([Insert(Note("n1"))]);
        await _store.SaveRuleVersionAsync("r", "v1", "steps: []", T0);
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();

        _store = Open();
        Assert.NotNull(await _store.GetNotificationAsync("n1"));
        Assert.Single(await _store.GetTimersDueBeforeAsync(T0.AddDays(1), 10));
        Assert.Equal("steps: []", await _store.GetRuleVersionSourceAsync("v1"));
        Assert.True(await _store.PingAsync());
    }
}
