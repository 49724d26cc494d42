using Notify.Client;
using Notify.Client.Apps;
using Notify.Client.Devices;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Notifications;

/// <summary>The core promise end to end: one device, follow-up when unseen, cleared everywhere once seen.</summary>
public sealed class DeliveryFlowTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private Scenario _ana = null!;

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer();
        _ana = await Scenario.CreateAsync(_server);
        await _ana.RegisterAsync("laptop", Platform.Desktop);
        await _ana.RegisterAsync("phone", Platform.Ios);
    }

    public async Task DisposeAsync()
    {
        await _ana.DisposeAsync();
        await _server.DisposeAsync();
    }

    /// <summary>Ana looks at her laptop; the notification shows there, goes unseen for the 2-minute wait and follows up on her phone.</summary>
    private async Task<(NotifyDeviceClient Laptop, NotifyDeviceClient Phone, NotifyResponse Response)> ShownOnLaptopThenOnPhoneAsync()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Active);
        var phone = await _ana.ConnectAsync("phone", Presence.Idle);
        var response = await _ana.NotifyAsync();
        await laptop.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        _server.Time.Advance(TimeSpan.FromMinutes(2));
        await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        return (laptop, phone, response);
    }

    /// <summary>True when nothing for the notification reached the device: a pong proves the socket caught up.</summary>
    private static async Task<bool> NothingReceivedAsync(NotifyDeviceClient device, string notificationId)
    {
        await device.PingAsync(Waits.Deadline());
        return device.Notifications.TryPeek(out var n) is false || n.Id != notificationId;
    }

    [Fact]
    public async Task Notify_UserLooksAtLaptop_OnlyTheLaptopGetsIt()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Active);
        var phone = await _ana.ConnectAsync("phone", Presence.Idle);

        var response = await _ana.NotifyAsync();

        Assert.Equal(NotificationStatus.Delivered, response.Status);
        Assert.Equal(_ana.Id("laptop"), response.Decision!.DeviceId);
        Assert.Equal(Channel.InApp, response.Decision.Channel);
        var received = await laptop.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        Assert.Equal("Ana mentioned you", received.Title);
        Assert.True(await NothingReceivedAsync(phone, response.NotificationId));
    }

    [Fact]
    public async Task Notify_UnseenAfterWait_FollowsUpOnThePhone_WithTheStatesOfThatMoment()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Active);
        var phone = await _ana.ConnectAsync("phone", Presence.Idle);
        var response = await _ana.NotifyAsync();
        await laptop.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());

        _server.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await NothingReceivedAsync(phone, response.NotificationId));
        _server.Time.Advance(TimeSpan.FromMinutes(1));

        await phone.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        var details = await _ana.App.GetNotificationAsync(response.NotificationId);
        Assert.Equal([(0, _ana.Id("laptop")), (1, _ana.Id("phone"))], details.Deliveries.Select(d => (d.Step, d.DeviceId!)));
        Assert.Contains(details.Trace, t => t.Message.Contains("following up"));
        Assert.Contains(details.Trace, t => t.Step == 1 && t.DeviceId == _ana.Id("laptop") && t.Message.Contains("already has it"));
    }

    [Fact]
    public async Task Ack_OnThePhone_ClearsTheLaptop_AndStopsTheChain()
    {
        var (laptop, phone, response) = await ShownOnLaptopThenOnPhoneAsync();

        await phone.AckAsync(response.NotificationId, AckAction.Opened);

        var clear = await laptop.WaitForClearAsync(response.NotificationId, Waits.Deadline());
        Assert.Equal(ClearReason.SeenElsewhere, clear.Reason);
        var details = await _ana.App.GetNotificationAsync(response.NotificationId);
        Assert.Equal(NotificationStatus.Opened, details.Status);
        Assert.Equal(_ana.Id("phone"), details.AcknowledgedBy);
        Assert.Equal(0, _server.Count("timers"));
        _server.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(2, (await _ana.App.GetNotificationAsync(response.NotificationId)).Deliveries.Count);
    }

    [Fact]
    public async Task Ack_OverHttp_OnTheSeenDevice_StopsTheFollowUp()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Active);
        var phone = await _ana.ConnectAsync("phone", Presence.Idle);
        var response = await _ana.NotifyAsync();
        await laptop.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());

        await laptop.AckOverHttpAsync(response.NotificationId, AckAction.Seen);
        _server.Time.Advance(TimeSpan.FromMinutes(30));

        Assert.True(await NothingReceivedAsync(phone, response.NotificationId));
        var details = await _ana.App.GetNotificationAsync(response.NotificationId);
        Assert.Equal(NotificationStatus.Seen, details.Status);
        Assert.Equal(DeliveryStatus.Acknowledged, Assert.Single(details.Deliveries).Status);
    }

    [Fact]
    public async Task Dismiss_ClearsOthersWithReasonDismissed()
    {
        var (laptop, phone, response) = await ShownOnLaptopThenOnPhoneAsync();

        await laptop.AckAsync(response.NotificationId, AckAction.Dismissed);

        Assert.Equal(ClearReason.Dismissed, (await phone.WaitForClearAsync(response.NotificationId, Waits.Deadline())).Reason);
    }

    [Fact]
    public async Task OfflineDevice_GetsTheNotificationWhenItConnects()
    {
        var response = await _ana.NotifyAsync();
        Assert.Equal(NotificationStatus.Scheduled, response.Status);

        var phone = await _ana.ConnectAsync("phone");
        var laptop = await _ana.ConnectAsync("laptop");

        var target = response.Decision!.DeviceId == _ana.Id("phone") ? phone : laptop;
        await target.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        Assert.Equal(NotificationStatus.Delivered, (await _ana.App.GetNotificationAsync(response.NotificationId)).Status);
    }

    [Fact]
    public async Task Reconnect_UnseenNotification_IsSentAgain()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Active);
        var response = await _ana.NotifyAsync();
        await laptop.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
        await laptop.DisconnectAsync();

        await using var again = _server.Device(_ana.Devices["laptop"].Token);
        await again.ConnectAsync();

        await again.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());
    }

    [Fact]
    public async Task Ttl_Expired_IsNeverDeliveredLate()
    {
        var response = await _ana.NotifyAsync(ttl: TimeSpan.FromMinutes(1));
        Assert.Equal(NotificationStatus.Scheduled, response.Status);

        _server.Time.Advance(TimeSpan.FromMinutes(1));
        await WaitForStatusAsync(response.NotificationId, NotificationStatus.Expired);
        var phone = await _ana.ConnectAsync("phone");
        var laptop = await _ana.ConnectAsync("laptop");

        Assert.True(await NothingReceivedAsync(phone, response.NotificationId));
        Assert.True(await NothingReceivedAsync(laptop, response.NotificationId));
        var details = await _ana.App.GetNotificationAsync(response.NotificationId);
        Assert.All(details.Deliveries, d => Assert.Equal(DeliveryStatus.Dropped, d.Status));
    }

    [Fact]
    public async Task Ttl_ExpiresWhileShown_ClearsItWithReasonExpired()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Active);
        var response = await _ana.NotifyAsync(ttl: TimeSpan.FromMinutes(1));
        await laptop.WaitForNotificationAsync(n => n.Id == response.NotificationId, Waits.Deadline());

        _server.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(ClearReason.Expired, (await laptop.WaitForClearAsync(response.NotificationId, Waits.Deadline())).Reason);
    }

    [Fact]
    public async Task CollapseKey_NewerReplacesOlderUndelivered()
    {
        var older = await _ana.NotifyAsync(collapseKey: "thread-t9");
        var newer = await _ana.NotifyAsync(collapseKey: "thread-t9");

        var laptop = await _ana.ConnectAsync("laptop");
        var phone = await _ana.ConnectAsync("phone");

        var target = newer.Decision!.DeviceId == _ana.Id("phone") ? phone : laptop;
        await target.WaitForNotificationAsync(n => n.Id == newer.NotificationId, Waits.Deadline());
        Assert.True(await NothingReceivedAsync(phone, older.NotificationId));
        Assert.True(await NothingReceivedAsync(laptop, older.NotificationId));
        var details = await _ana.App.GetNotificationAsync(older.NotificationId);
        Assert.Equal(NotificationStatus.Collapsed, details.Status);
        Assert.Contains(details.Trace, t => t.Message.Contains(newer.NotificationId));
    }

    [Fact]
    public async Task IdempotencyKey_SameKeyAgain_FirstResponse_NothingNewSent()
    {
        var laptop = await _ana.ConnectAsync("laptop", Presence.Active);
        var first = await _ana.NotifyAsync(idempotencyKey: "evt-123");
        var again = await _ana.NotifyAsync(idempotencyKey: "evt-123");

        Assert.False(first.IsReplay);
        Assert.True(again.IsReplay);
        Assert.Equal(first.NotificationId, again.NotificationId);
        Assert.Equal(1, _server.Count("notifications"));
        await laptop.WaitForNotificationAsync(n => n.Id == first.NotificationId, Waits.Deadline());
        await laptop.PingAsync(Waits.Deadline());
        Assert.Equal(1, laptop.Notifications.Count);
    }

    [Fact]
    public async Task IdempotencyKey_OtherApp_IsIndependent()
    {
        using var other = _server.App(NotifyTestServer.OtherAppKey);
        await other.PutUserAsync("ana", new UserRequest { TimeZone = "UTC" });
        var mine = await _ana.NotifyAsync(idempotencyKey: "evt-1");
        var theirs = await other.NotifyAsync(new NotifyRequest { UserId = "ana", Category = "mention", IdempotencyKey = "evt-1" });
        Assert.NotEqual(mine.NotificationId, theirs.NotificationId);
        Assert.False(theirs.IsReplay);
    }

    private async Task WaitForStatusAsync(string id, NotificationStatus status)
    {
        var deadline = Waits.Deadline();
        while ((await _ana.App.GetNotificationAsync(id, deadline)).Status != status)
            await Task.Delay(10, deadline);
    }
}
