using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Notify.Server.Tests.Durability;

/// <summary>Tests that start real server processes; CPU heavy, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessesCollection
{
    public const string Name = "processes";
}

/// <summary>
/// The durability promise, against the real process and a real SQLite file: a 202 means the notification is
/// stored, so SIGKILL at any moment loses none, and a follow-up that fell due while the process was down fires
/// after the restart.
/// </summary>
[Collection(ProcessesCollection.Name)]
public sealed class KillNineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Loops = 16;
    private const int KillAfterAccepted = 400;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private const string OneStepRule = """
        name: default
        ttl: 1h
        steps:
          - to: best
            via: inApp
        """;

    private const string FollowUpRule = """
        name: default
        ttl: 1h
        steps:
          - to: best
            where: device.name == 'first'
            via: inApp
            wait: 1s
          - to: best
            via: inApp
        """;

    private readonly ServerHome _home = new();
    private readonly List<ServerProcess> _processes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var process in _processes) await process.DisposeAsync();
        }
        finally
        {
            _home.Dispose();
        }
    }

    [Fact]
    public async Task Kill9_UnderLoad_EveryAcceptedNotificationSurvives()
    {
        _home.WriteRule("default", OneStepRule);
        var before = await StartAsync();
        using (var setup = before.Client(_home.AppKey))
        {
            await Api.PutUserAsync(setup, "u1");
            await Api.AddDeviceAsync(setup, "u1", "laptop");
        }

        var accepted = new ConcurrentQueue<string>();
        var unexpected = new ConcurrentQueue<string>();
        var cutOff = new ConcurrentQueue<string>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sequence = 0;
        using var stop = new CancellationTokenSource();
        using var load = before.Client(_home.AppKey, maxConnections: Loops);

        async Task LoopAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var title = "n" + Interlocked.Increment(ref sequence);
                try
                {
                    using var content = Api.Notify("u1", "mention", title);
                    using var response = await load.PostAsync("v1/notify", content, stop.Token);
                    var body = await response.Content.ReadAsStringAsync(stop.Token);
                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        unexpected.Enqueue($"{title}: {(int)response.StatusCode} {body}");
                        continue;
                    }
                    using var json = JsonDocument.Parse(body);
                    accepted.Enqueue(json.RootElement.GetProperty("notificationId").GetString()!);
                    if (accepted.Count >= KillAfterAccepted) enough.TrySetResult();
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                {
                    // The process is gone (or the test is over): this request has no answer, so it promised nothing.
                    cutOff.Enqueue($"{title}: {e.GetType().Name}: {e.Message}");
                    return;
                }
            }
        }

        var loops = Enumerable.Range(0, Loops).Select(_ => Task.Run(LoopAsync)).ToArray();
        try
        {
            var first = await Task.WhenAny(enough.Task, Task.WhenAll(loops)).WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(first == enough.Task,
                $"Every load loop ended before {KillAfterAccepted} notifications were accepted ({accepted.Count} were).\n" +
                $"Cut off: {string.Join("; ", cutOff.Take(5))}\nUnexpected: {string.Join("; ", unexpected.Take(5))}\n{before.Output}");

            // SIGKILL while the loops are still sending: no shutdown hook, no flush, requests in flight.
            await before.KillAsync();
            if (OperatingSystem.IsLinux()) Assert.Equal(128 + 9, before.ExitCode);
            await Task.WhenAll(loops).WaitAsync(Deadline);
        }
        finally
        {
            await stop.CancelAsync();
        }

        var ids = accepted.ToArray();
        Assert.True(ids.Length >= KillAfterAccepted, $"Only {ids.Length} notifications were accepted; the test means little.");
        Assert.True(unexpected.IsEmpty, $"{unexpected.Count} notify calls were answered neither 202 nor cut off:\n" +
            string.Join('\n', unexpected.Take(20)) + $"\n{before.Output}");
        Assert.Equal(ids.Length, ids.Distinct(StringComparer.Ordinal).Count());

        var restart = Stopwatch.StartNew();
        var after = await StartAsync();
        output.WriteLine($"{ids.Length} accepted before the kill ({sequence} sent, {cutOff.Count} cut off); restarted in {restart.ElapsedMilliseconds} ms");
        using var reader = after.Client(_home.AppKey, maxConnections: 8);
        var lost = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) =>
        {
            using var response = await reader.GetAsync($"v1/notifications/{Uri.EscapeDataString(id)}", ct);
            if (response.StatusCode != HttpStatusCode.OK) lost.Enqueue($"{id}: {(int)response.StatusCode}");
        });

        Assert.True(lost.IsEmpty,
            $"{lost.Count} of {ids.Length} notifications answered 202 before the kill are gone after the restart " +
            $"(the store holds {StoredNotificationCount()}; {cutOff.Count} requests were cut off by the kill):\n" +
            string.Join('\n', lost.Take(20)) + $"\n--- before the kill ---\n{before.Output}\n--- after the restart ---\n{after.Output}");
    }

    [Fact]
    public async Task Kill9_FollowUpDueWhileDown_FiresAfterRestart()
    {
        _home.WriteRule("default", FollowUpRule);
        var before = await StartAsync();
        string firstId, secondId, secondToken, notificationId;
        using (var app = before.Client(_home.AppKey))
        {
            await Api.PutUserAsync(app, "u1");
            (firstId, _) = await Api.AddDeviceAsync(app, "u1", "first");
            (secondId, secondToken) = await Api.AddDeviceAsync(app, "u1", "second");

            using var content = Api.Notify("u1", "mention", "follow me");
            using var response = await app.PostAsync("v1/notify", content);
            await Api.EnsureAsync(response, "POST /v1/notify", HttpStatusCode.Accepted);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var root = json.RootElement;
            notificationId = root.GetProperty("notificationId").GetString()!;
            // Nobody is connected: in-app waits for the device the first step names, and the 1 s follow-up is stored.
            Assert.Equal("scheduled", root.GetProperty("status").GetString());
            Assert.Equal(firstId, root.GetProperty("decision").GetProperty("deviceId").GetString());
        }

        var sinceAccept = Stopwatch.StartNew();
        await before.KillAsync();
        if (OperatingSystem.IsLinux()) Assert.Equal(128 + 9, before.ExitCode);

        var after = await StartAsync();
        output.WriteLine($"ready again {sinceAccept.ElapsedMilliseconds} ms after the accept (the follow-up was due at 1000 ms)");
        var received = new List<string>();
        using (var socket = new ClientWebSocket())
        using (var deadline = new CancellationTokenSource(Deadline))
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + secondToken);
            try
            {
                await socket.ConnectAsync(after.RealtimeUri, deadline.Token);
                var hello = await ReceiveTextAsync(socket, deadline.Token);
                received.Add(hello);
                Assert.Equal("hello", Type(hello));
                // The follow-up fell due 1 s after the accept, while the process was down (a restart takes longer than that;
                // should it not, the timer fires at its time instead): either way it must reach 'second'.
                while (true)
                {
                    var message = await ReceiveTextAsync(socket, deadline.Token);
                    received.Add(message);
                    if (Type(message) == "notification" && NotificationId(message) == notificationId) break;
                }
                output.WriteLine($"follow-up received {sinceAccept.ElapsedMilliseconds} ms after the accept");
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Device 'second' got no follow-up for {notificationId} within {Deadline.TotalSeconds} s of the restart. " +
                    $"Received: {string.Join(" | ", received)}\nNotification now: {await DescribeAsync(after, notificationId)}\n" +
                    $"--- before the kill ---\n{before.Output}\n--- after the restart ---\n{after.Output}");
            }
        }

        using var view = await GetNotificationAsync(after, notificationId);
        var details = view.RootElement;
        var deliveries = details.GetProperty("deliveries").EnumerateArray().ToList();
        Assert.Contains(deliveries, d => d.GetProperty("deviceId").GetString() == firstId && d.GetProperty("step").GetInt32() == 0);
        Assert.Contains(deliveries, d => d.GetProperty("deviceId").GetString() == secondId && d.GetProperty("step").GetInt32() == 1);
        Assert.Contains(details.GetProperty("trace").EnumerateArray(),
            t => t.GetProperty("message").GetString()!.Contains("following up", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(1, details.GetProperty("step").GetInt32());
    }

    private async Task<ServerProcess> StartAsync()
    {
        var process = await ServerProcess.StartAsync(_home);
        _processes.Add(process);
        return process;
    }

    private async Task<JsonDocument> GetNotificationAsync(ServerProcess server, string id)
    {
        using var app = server.Client(_home.AppKey);
        using var response = await app.GetAsync($"v1/notifications/{Uri.EscapeDataString(id)}");
        await Api.EnsureAsync(response, "GET /v1/notifications/{id}", HttpStatusCode.OK);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private async Task<string> DescribeAsync(ServerProcess server, string id)
    {
        try
        {
            using var view = await GetNotificationAsync(server, id);
            return view.RootElement.GetRawText();
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            return "(could not read it: " + e.Message + ")";
        }
    }

    /// <summary>What the SQLite file holds, read directly, for a failure message.</summary>
    private string StoredNotificationCount()
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _home.DatabasePath, Mode = SqliteOpenMode.ReadOnly }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM notifications";
            return $"{command.ExecuteScalar()} notifications";
        }
        catch (SqliteException e)
        {
            return "an unreadable file: " + e.Message;
        }
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
                throw new InvalidOperationException($"The server closed the realtime connection: {result.CloseStatus} {result.CloseStatusDescription}");
            message.Write(buffer, 0, result.Count);
        } while (!result.EndOfMessage);
        return Encoding.UTF8.GetString(message.ToArray());
    }

    private static string? Type(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("type", out var type) ? type.GetString() : null;
    }

    private static string? NotificationId(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("notification", out var n) && n.TryGetProperty("id", out var id) ? id.GetString() : null;
    }
}
