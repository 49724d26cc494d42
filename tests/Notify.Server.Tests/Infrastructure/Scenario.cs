using Notify.Client;
using Notify.Client.Apps;
using Notify.Client.Devices;

namespace Notify.Server.Tests.Infrastructure;

/// <summary>A user with devices, set up through the .NET client as a customer would.</summary>
public sealed class Scenario : IAsyncDisposable
{
    private readonly List<NotifyDeviceClient> _clients = [];

    private Scenario(NotifyTestServer server, NotifyAppClient app, string userId)
    {
        Server = server;
        App = app;
        UserId = userId;
    }

    public NotifyTestServer Server { get; }
    public NotifyAppClient App { get; }
    public string UserId { get; }
    public Dictionary<string, (string Id, string Token)> Devices { get; } = [];

    public static async Task<Scenario> CreateAsync(NotifyTestServer server, string userId = "ana", string? email = null)
    {
        var app = server.App();
        await app.PutUserAsync(userId, new UserRequest { TimeZone = "Europe/Lisbon", Email = email });
        return new Scenario(server, app, userId);
    }

    public async Task<string> RegisterAsync(string name, Platform platform)
    {
        var result = await App.RegisterDeviceAsync(UserId, new DeviceRegistration { Platform = platform, Name = name });
        Devices[name] = (result.DeviceId, result.DeviceToken);
        return result.DeviceId;
    }

    public string Id(string name) => Devices[name].Id;

    /// <summary>Connects a device and, when given, reports its presence (awaited through a ping barrier).</summary>
    public async Task<NotifyDeviceClient> ConnectAsync(string name, Presence? presence = null)
    {
        var client = Server.Device(Devices[name].Token);
        _clients.Add(client);
        await client.ConnectAsync();
        if (presence is not null)
        {
            await client.ReportStateAsync(new DeviceStateReport { Presence = presence, Foreground = presence == Presence.Active });
            await client.PingAsync();
        }
        return client;
    }

    public Task<NotifyResponse> NotifyAsync(string category = "mention", string? collapseKey = null, TimeSpan? ttl = null, string? idempotencyKey = null) =>
        App.NotifyAsync(new NotifyRequest
        {
            UserId = UserId, Category = category, Title = "Ana mentioned you", Body = "in #general",
            CollapseKey = collapseKey, Ttl = ttl, IdempotencyKey = idempotencyKey,
        });

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync();
        App.Dispose();
    }
}

public static class Waits
{
    /// <summary>A deadline for awaiting a signal; never a sleep. Generous, because CI shares two cores.</summary>
    public static CancellationToken Deadline(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Awaits a condition on state another thread writes (a database row) by checking it often until the deadline;
    /// for what no signal announces. The fake clock does not move meanwhile.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = Deadline(seconds);
        while (!condition())
        {
            if (deadline.IsCancellationRequested) throw new TimeoutException($"Still waiting for {what} after {seconds} s.");
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
