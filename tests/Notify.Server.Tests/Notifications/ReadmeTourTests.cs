using Notify.Client;
using Notify.Client.Devices;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Notifications;

/// <summary>
/// The README's two-minute tour on the rules shipped in <c>rules/</c> (no push provider configured, as after
/// <c>dotnet run</c>): what the README says happens must keep happening when the shipped rules change.
/// </summary>
public sealed class ReadmeTourTests
{
    [Fact]
    public async Task Mention_LaptopInUse_LaptopFirst_PhoneAfterTwoMinutes_AckOnThePhoneClearsTheLaptop()
    {
        await using var server = new NotifyTestServer(rules: ShippedRules());
        await using var ana = await Scenario.CreateAsync(server, email: "ana@example.com");
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await ana.RegisterAsync("phone", Platform.Ios);
        var phone = await ana.ConnectAsync("phone");
        var laptop = await ana.ConnectAsync("laptop", Presence.Active);

        var sent = await ana.NotifyAsync();

        // → 202 {"status":"delivered","decision":{"deviceId":"<laptop>","channel":"inApp",…}}
        Assert.Equal(NotificationStatus.Delivered, sent.Status);
        Assert.Equal(ana.Id("laptop"), sent.Decision?.DeviceId);
        await laptop.WaitForNotificationAsync(n => n.Id == sent.NotificationId, Waits.Deadline());

        // "if nobody acknowledges it by then, terminal B (the phone) gets it"
        server.Time.Advance(TimeSpan.FromMinutes(2));
        await phone.WaitForNotificationAsync(n => n.Id == sent.NotificationId, Waits.Deadline());
        var deliveries = (await ana.App.GetNotificationAsync(sent.NotificationId)).Deliveries;
        Assert.Equal([ana.Id("laptop"), ana.Id("phone")], deliveries.Select(d => d.DeviceId!));
        Assert.Equal(0, deliveries[0].Step);
        Assert.True(deliveries[1].Step > 0, "the phone got it as a follow-up, not with the first step");

        // "Acknowledge it from the phone: terminal A receives {"type":"clear",…,"reason":"seen-elsewhere"}"
        await phone.AckOverHttpAsync(sent.NotificationId, AckAction.Seen);
        var clear = await laptop.WaitForClearAsync(sent.NotificationId, Waits.Deadline());
        Assert.Equal(ClearReason.SeenElsewhere, clear.Reason);
    }

    private static Dictionary<string, string> ShippedRules()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Notify.sln"))) dir = dir.Parent;
        var rules = Path.Combine(dir!.FullName, "rules");
        return Directory.GetFiles(rules, "*.yaml").ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
    }
}
