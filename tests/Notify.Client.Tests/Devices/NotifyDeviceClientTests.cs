using System.Text;
using Notify.Client.Devices;

namespace Notify.Client.Tests.Devices;

public class NotifyDeviceClientTests
{
    private static NotifyDeviceClient Create(int capacity = 1024) =>
        new(new Uri("http://notify.test"), "device-token", new NotifyDeviceClientOptions { DeduplicationCapacity = capacity });

    private static void Receive(NotifyDeviceClient client, string json) => client.HandleMessage(Encoding.UTF8.GetBytes(json), null);

    private const string NotificationJson =
        """{"type":"notification","notification":{"id":"{id}","category":"mention","title":"{title}","priority":"high","createdAt":"2025-01-01T00:00:00Z","data":{"threadId":"t9"}}}""";

    private static string Notification(string id, string title = "hi") =>
        NotificationJson.Replace("{id}", id, StringComparison.Ordinal).Replace("{title}", title, StringComparison.Ordinal);

    [Fact]
    public async Task HandleMessage_SameNotificationResent_RaisedOnce()
    {
        await using var client = Create();
        var raised = new List<string>();
        client.NotificationReceived += (_, e) => raised.Add(e.Notification.Id);

        Receive(client, Notification("n1"));
        Receive(client, Notification("n1")); // re-sent after a reconnect
        Receive(client, Notification("n2"));

        Assert.Equal(["n1", "n2"], raised);
        Assert.True(client.Notifications.TryRead(out var first));
        Assert.Equal(Priority.High, first.Priority);
        Assert.Equal("t9", first.Data!["threadId"]!.GetValue<string>());
        Assert.True(client.Notifications.TryRead(out _));
        Assert.False(client.Notifications.TryRead(out _));
    }

    [Fact]
    public async Task HandleMessage_BeyondCapacity_ForgetsOldestId()
    {
        await using var client = Create(capacity: 2);
        var raised = 0;
        client.NotificationReceived += (_, _) => raised++;

        foreach (var id in new[] { "n1", "n2", "n3", "n1" }) Receive(client, Notification(id));

        Assert.Equal(4, raised);
    }

    [Fact]
    public async Task WaitForNotificationAsync_AlreadyArrived_CompletesAtOnce()
    {
        await using var client = Create();
        Receive(client, Notification("n1", "first"));
        Receive(client, Notification("n2", "second"));

        var found = await client.WaitForNotificationAsync(n => n.Title == "second");

        Assert.Equal("n2", found.Id);
    }

    [Fact]
    public async Task WaitForNotificationAsync_ArrivesLater_Completes()
    {
        await using var client = Create();
        var waiting = client.WaitForNotificationAsync(n => n.Id == "n2");
        Receive(client, Notification("n1"));
        Assert.False(waiting.IsCompleted);

        Receive(client, Notification("n2"));

        Assert.Equal("n2", (await waiting.WaitAsync(TimeSpan.FromSeconds(5))).Id);
    }

    [Fact]
    public async Task WaitForClearAsync_ArrivesLater_CompletesWithReason()
    {
        await using var client = Create();
        var waiting = client.WaitForClearAsync("n1");
        ClearMessage? raised = null;
        client.Cleared += (_, e) => raised = e.Clear;

        Receive(client, """{"type":"clear","notificationId":"n1","reason":"seen-elsewhere"}""");

        var clear = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ClearReason.SeenElsewhere, clear.Reason);
        Assert.Equal(clear, raised);
    }

    [Fact]
    public async Task WaitForClearAsync_Cancelled_Throws()
    {
        await using var client = Create();
        using var cts = new CancellationTokenSource();
        var waiting = client.WaitForClearAsync("n1", cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task HandleMessage_UnreadableOrUnknown_SkippedAndHandlerFailureContained()
    {
        await using var client = Create();
        var errors = new List<ServerError>();
        client.NotificationReceived += (_, _) => throw new InvalidOperationException("bad handler");
        client.Error += (_, e) => errors.Add(e.Error);

        Receive(client, "not json");
        Receive(client, """{"type":"surprise"}""");
        Receive(client, """{"type":"error","code":"invalid-state","message":"battery.level must be between 0 and 1"}""");
        Receive(client, Notification("n1"));

        Assert.Equal("invalid-state", Assert.Single(errors).Code);
        Assert.Equal("n1", (await client.WaitForNotificationAsync()).Id);
    }

    [Fact]
    public async Task DisposeAsync_PendingWait_FailsWithObjectDisposed()
    {
        var client = Create();
        var waiting = client.WaitForNotificationAsync();

        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
    }

    [Fact]
    public async Task ReportStateAsync_NotConnected_ThrowsInvalidOperation()
    {
        await using var client = Create();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            client.ReportStateAsync(new DeviceStateReport { Presence = Presence.Active }));
        Assert.Contains("OverHttp", ex.Message);
    }

    [Fact]
    public void Constructor_HeartbeatTimeoutNotAboveInterval_Throws()
    {
        var options = new NotifyDeviceClientOptions { HeartbeatInterval = TimeSpan.FromSeconds(30), HeartbeatTimeout = TimeSpan.FromSeconds(30) };

        Assert.Throws<ArgumentOutOfRangeException>(() => new NotifyDeviceClient(new Uri("http://notify.test"), "t", options));
    }
}
