using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Learning.Tests;

/// <summary>Small builders shared by the learning tests. No clock: every test names its instant.</summary>
internal static class Kit
{
    public static readonly DateTimeOffset Noon = new(2026, 5, 6, 12, 0, 0, TimeSpan.Zero); // a Wednesday

    public static User User(string id = "ana", string zone = "Europe/Lisbon") => new("app", id, null, zone, null, Noon, Noon);

    public static Notification Note(string id = "ntf_1", string user = "ana", string category = "mention") => new()
    {
        Id = id, AppId = "app", UserId = user, Category = category, Priority = Priority.Normal, CreatedAt = Noon,
        ExpiresAt = Noon.AddDays(1), RuleName = "r", RuleVersion = "v", Status = NotificationStatus.Scheduled,
    };

    public static DeviceSnapshot Device(string id, Platform platform = Platform.Ios, bool online = true, Presence? presence = Presence.Active,
        TimeSpan? activeAgo = null, BatteryState? battery = null, ConnectivityState? net = null, bool? foreground = null) =>
        new(new Device(id, "app", "ana", platform, id, new PushRegistration("fcm", "tok-" + id, null, null), "h", Noon),
            new DeviceState(online, presence, foreground, battery, net, null, activeAgo is { } a ? Noon - a : null, Noon));

    public static Rule Parse(string yaml) => RuleParser.Parse(yaml, "r").Rule ?? throw new InvalidOperationException("test rule does not parse");

    /// <summary>Synthetic outcomes with a clear signal: an active device responds, an away one does not (with a little noise),
    /// spread over <paramref name="users"/> users so the by-user split has users to hold out.</summary>
    public static List<OutcomeRecord> Outcomes(int users, int perUser, int seed = 3)
    {
        var rng = new Random(seed);
        var list = new List<OutcomeRecord>();
        for (var u = 0; u < users; u++)
            for (var i = 0; i < perUser; i++)
            {
                var active = rng.NextDouble() < 0.5;
                var features = new ResponseFeatures(i % 2 == 0 ? "ios" : "desktop", active ? "active" : "away", active, active && rng.NextDouble() < 0.5,
                    active ? 5 : 7200, 0.8, false, false, "wifi", false, 10 + i % 10, 3, "mention", "normal", "inApp", 0);
                var responded = active ? rng.NextDouble() < 0.9 : rng.NextDouble() < 0.1;
                var start = new OutcomeStart($"dlv_{u}_{i}", $"ntf_{u}_{i}", "app", $"user{u}", $"dev{u}", Noon, TimeSpan.FromMinutes(2), features);
                list.Add(new OutcomeRecord(start, responded ? OutcomeKind.Seen : OutcomeKind.FollowedUp, Noon.AddMinutes(1)));
            }
        return list;
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "notify-learning-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
