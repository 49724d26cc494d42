using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Notify.Client;
using Notify.Client.Devices;
using Notify.Engine.Devices;
using Notify.Server.Hosting;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Realtime.Grip;

/// <summary>
/// The real Pushpin on loopback in front of two in-process nodes sharing one SQLite file: what one node decides
/// reaches a device whose connection events another node served. Skipped when Pushpin is not installed.
/// </summary>
public sealed class PushpinTests
{
    private const string Key = "pushpin-test-key-0123456789-0123456789-01";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task Notify_OnTheOtherNode_ReachesTheDeviceThroughPushpin_AndAnAckClearsItOnTheUsersOtherDevice()
    {
        var missing = PushpinEdge.Missing();
        Skip.If(missing is not null, missing);
        // Pushpin signs Grip-Sig with the real clock: the nodes' clock starts at the real time and moves only when told.
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var edge = PushpinEdge.Create();
        var settings = new Dictionary<string, string?>
        {
            ["Realtime:Grip:ControlUri"] = edge.ControlUri.ToString(),
            ["Realtime:Grip:Key"] = Key,
        };
        await using var nodeA = new NotifyTestServer(settings, time: time);
        await using var nodeB = new NotifyTestServer(settings, directory: nodeA.Directory, time: time);
        await edge.StartAsync(Key, nodeA.BaseAddress, nodeB.BaseAddress);

        await using var scenario = await Scenario.CreateAsync(nodeA);
        var phoneId = await scenario.RegisterAsync("phone", Platform.Android);
        await scenario.RegisterAsync("laptop", Platform.Desktop);

        await using var phone = new NotifyDeviceClient(edge.BaseAddress, scenario.Devices["phone"].Token);
        await WithLogs(edge, phone.ConnectAsync().WaitAsync(Deadline));
        // Exactly one node served the open; the notify goes to the other one.
        var opened = new[] { nodeA, nodeB }.Where(n => n.Services.GetRequiredService<DeviceStateTracker>().IsOnline(phoneId)).ToList();
        var other = Assert.Single(opened) == nodeA ? nodeB : nodeA;
        time.Advance(TimeSpan.FromMilliseconds(100));
        await phone.ReportStateAsync(new DeviceStateReport { Presence = Presence.Active, Foreground = true });
        await phone.PingAsync().WaitAsync(Deadline);
        // The nodes write device state behind; write it now instead of waiting for the next flush.
        foreach (var node in new[] { nodeA, nodeB }) await node.Services.GetRequiredService<StateFlushService>().FlushAsync(CancellationToken.None);

        var result = await other.App().NotifyAsync(new Client.Apps.NotifyRequest { UserId = scenario.UserId, Category = "mention", Title = "Ana mentioned you" });
        Assert.True(result.Status == NotificationStatus.Delivered, $"decided {result.Status}: {result.Decision?.Reason}\n{edge.Logs()}");
        var received = await WithLogs(edge, phone.WaitForNotificationAsync(n => n.Id == result.NotificationId).WaitAsync(Deadline));
        Assert.Equal("Ana mentioned you", received.Title);

        await using var laptop = new NotifyDeviceClient(edge.BaseAddress, scenario.Devices["laptop"].Token);
        await WithLogs(edge, laptop.ConnectAsync().WaitAsync(Deadline));
        await laptop.AckAsync(result.NotificationId, AckAction.Opened).WaitAsync(Deadline);

        var clear = await WithLogs(edge, phone.WaitForClearAsync(result.NotificationId).WaitAsync(Deadline));
        Assert.Equal(ClearReason.SeenElsewhere, clear.Reason);
    }

    [SkippableFact]
    public async Task Events_ThroughPushpin_HeldStreamGetsHelloThenWhatANodePublishes()
    {
        var missing = PushpinEdge.Missing();
        Skip.If(missing is not null, missing);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var edge = PushpinEdge.Create();
        var settings = new Dictionary<string, string?>
        {
            ["Realtime:Grip:ControlUri"] = edge.ControlUri.ToString(), ["Realtime:Grip:Key"] = Key, ["Realtime:Grip:SseRecheckInterval"] = "00:00:01",
            ["Realtime:HeartbeatTimeout"] = "00:01:15",
        };
        await using var node = new NotifyTestServer(settings, time: time);
        await edge.StartAsync(Key, node.BaseAddress);
        await using var scenario = await Scenario.CreateAsync(node);
        var phoneId = await scenario.RegisterAsync("phone", Platform.Web);

        using var http = new HttpClient { BaseAddress = edge.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/realtime/events");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", scenario.Devices["phone"].Token);
        using var response = await WithLogs(edge, http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Deadline));
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            Assert.Fail($"{(int)response.StatusCode} {response.Content.Headers.ContentType}: {await response.Content.ReadAsStringAsync()}\n{edge.Logs()}");
        Assert.False(response.Headers.Contains("Grip-Hold"), "Pushpin consumes the GRIP headers");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        async Task<string> NextDataAsync()
        {
            while (await WithLogs(edge, reader.ReadLineAsync().WaitAsync(Deadline)) is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) return line["data: ".Length..];
            throw new EndOfStreamException("the stream ended");
        }
        Assert.Contains(phoneId, await NextDataAsync());

        var result = await scenario.App.NotifyAsync(new Client.Apps.NotifyRequest { UserId = scenario.UserId, Category = "mention", Title = "Through the stream" });
        Assert.Equal(NotificationStatus.Delivered, result.Status);
        var data = await NextDataAsync();
        Assert.Contains(result.NotificationId, data);
        Assert.Contains("\"type\":\"notification\"", data);

        // SSE sends no heartbeats: Pushpin's next-link call-backs keep the device seen while the stream is open.
        var tracker = node.Services.GetRequiredService<DeviceStateTracker>();
        var seenAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Three minutes without news is past the presence window (75 s + 1 s); only a call-back after this brings it back.
        time.Advance(TimeSpan.FromMinutes(3));
        var later = time.GetUtcNow();
        tracker.Changed += d =>
        {
            if (d.Id == phoneId && tracker.IsOnline(phoneId)) seenAgain.TrySetResult();
        };
        await WithLogs(edge, seenAgain.Task.WaitAsync(Deadline));
        Assert.True(tracker.IsOnline(phoneId), edge.Logs());
        Assert.Equal(later, (await node.Services.GetRequiredService<Notify.Engine.Storage.INotifyStore>().GetDeviceAsync(phoneId)) is { } stored
            ? tracker.Snapshot(stored).State.LastSeenAt : null);
    }

    private static async Task WithLogs(PushpinEdge edge, Task task)
    {
        try { await task; }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException) { throw new TimeoutException($"{e.Message}\n{edge.Logs()}", e); }
    }

    private static async Task<T> WithLogs<T>(PushpinEdge edge, Task<T> task)
    {
        await WithLogs(edge, (Task)task);
        return await task;
    }
}
