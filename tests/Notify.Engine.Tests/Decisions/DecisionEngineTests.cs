using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Engine.Tests.Decisions;

public class DecisionEngineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private static readonly User Ana = new("app", "ana", "ana@example.com", "Europe/Lisbon", "pt-PT", Now, Now);

    private const string Slack = """
        name: mention
        match: { category: mention }
        steps:
          - to: attention
            via: inApp
            wait: 2m
          - to: best
            where: device.platform in ['ios', 'android']
            via: inApp
            wait: 5m
          - to: best
            where: device.platform in ['ios', 'android']
            via: push
            wait: 15m
          - to: user
            via: email
            when: notification.priority != 'low'
        """;

    private static Rule Parse(string yaml) => RuleParser.Parse(yaml, "r").Rule ?? throw new InvalidOperationException(string.Join("\n", RuleParser.Parse(yaml, "r").Problems));

    private static Notification Note(Priority priority = Priority.Normal) => new()
    {
        Id = "ntf_1", AppId = "app", UserId = "ana", Category = "mention", Priority = priority, CreatedAt = Now,
        ExpiresAt = Now.AddHours(1), RuleName = "mention", RuleVersion = "v", Status = NotificationStatus.Scheduled,
    };

    private static DeviceSnapshot Device(string id, Platform platform, bool online = true, Presence? presence = null,
        TimeSpan? activeAgo = null, BatteryState? battery = null, ConnectivityState? net = null, bool push = false) =>
        new(new Device(id, "app", "ana", platform, id, push ? new PushRegistration("fcm", "tok", null, null) : null, "h", Now),
            new DeviceState(online, presence, null, battery, net, null, activeAgo is { } a ? Now - a : null, Now));

    private static Decision Decide(Rule rule, IReadOnlyList<DeviceSnapshot> devices, int from = 0,
        IReadOnlyCollection<(string, Channel)>? reached = null, Notification? n = null, params Channel[] channels) =>
        DecisionEngine.Decide(new DecisionInput(n ?? Note(), Ana, devices, rule, from, reached ?? [],
            channels.Length == 0 ? new HashSet<Channel> { Channel.InApp } : channels.ToHashSet(), Now));

    [Fact]
    public void Decide_Attention_PicksTheActiveOnlineDeviceWithLatestActivity()
    {
        var laptop = Device("laptop", Platform.Desktop, presence: Presence.Active, activeAgo: TimeSpan.FromSeconds(5));
        var tablet = Device("tablet", Platform.Ios, presence: Presence.Active, activeAgo: TimeSpan.FromMinutes(3));
        var phone = Device("phone", Platform.Android, presence: Presence.Idle, activeAgo: TimeSpan.FromSeconds(1));

        var decision = Decide(Parse(Slack), [tablet, phone, laptop]);

        Assert.Equal(0, decision.Step);
        Assert.Equal("laptop", Assert.Single(decision.Targets).Device.Id);
        Assert.Equal(Channel.InApp, decision.Channel);
        Assert.Contains(decision.Trace, t => t.DeviceId == "phone" && t.Message.Contains("not online and active"));
    }

    [Fact]
    public void Decide_NobodyActive_PassesToNextStepAtOnce()
    {
        var laptop = Device("laptop", Platform.Desktop, presence: Presence.Away);
        var phone = Device("phone", Platform.Ios, online: false);

        var decision = Decide(Parse(Slack), [laptop, phone]);

        Assert.Equal(1, decision.Step);
        Assert.Equal("phone", decision.Targets.Single().Device.Id);
        Assert.Contains(decision.Trace, t => t.Step == 1 && t.DeviceId == "laptop" && t.Message.Contains("'where'"));
    }

    [Fact]
    public void Decide_FollowUp_PassesOverDevicesThatAlreadyHaveIt()
    {
        var phone = Device("phone", Platform.Ios, presence: Presence.Active, activeAgo: TimeSpan.Zero);
        var other = Device("other-phone", Platform.Android, presence: Presence.Idle);

        var decision = Decide(Parse(Slack), [phone, other], from: 1, reached: [("phone", Channel.InApp)]);

        Assert.Equal("other-phone", decision.Targets.Single().Device.Id);
        Assert.Contains(decision.Trace, t => t.DeviceId == "phone" && t.Message.Contains("already has it"));
    }

    [Fact]
    public void Decide_ChannelNotConfigured_IsPassedOverWithReason()
    {
        var phone = Device("phone", Platform.Ios, push: true);

        var decision = Decide(Parse(Slack), [phone], from: 2, reached: [("phone", Channel.InApp)]);

        Assert.False(decision.Found);
        Assert.Contains(decision.Trace, t => t.Step == 2 && t.Message.Contains("channel push is not configured"));
        Assert.Contains(decision.Trace, t => t.Step == 3 && t.Message.Contains("channel email is not configured"));
    }

    [Fact]
    public void Decide_PushConfigured_NeedsAPushToken()
    {
        var noToken = Device("phone-a", Platform.Ios);
        var withToken = Device("phone-b", Platform.Android, push: true);

        var decision = Decide(Parse(Slack), [noToken, withToken], from: 2, channels: [Channel.InApp, Channel.Push]);

        Assert.Equal("phone-b", decision.Targets.Single().Device.Id);
        Assert.Contains(decision.Trace, t => t.DeviceId == "phone-a" && t.Message.Contains("no push token"));
    }

    [Fact]
    public void Decide_WhenFalse_SkipsTheStep()
    {
        var decision = Decide(Parse(Slack), [], from: 3, n: Note(Priority.Low), channels: [Channel.InApp, Channel.Email]);

        Assert.False(decision.Found);
        Assert.Contains(decision.Trace, t => t.Step == 3 && t.Message.Contains("'when' notification.priority != 'low' is false"));
    }

    [Fact]
    public void Decide_EmailStep_GoesToTheUser()
    {
        var decision = Decide(Parse(Slack), [], from: 3, channels: [Channel.InApp, Channel.Email]);

        Assert.True(decision.ToUser);
        Assert.Equal(Channel.Email, decision.Channel);
    }

    [Fact]
    public void Decide_All_FansOutToEveryEligibleDevice()
    {
        var rule = Parse("steps:\n  - to: all\n    via: inApp\n    where: device.platform != 'watch'\n");
        var devices = new[] { Device("a", Platform.Ios), Device("b", Platform.Desktop, online: false), Device("w", Platform.Watch) };

        var decision = Decide(rule, devices);

        Assert.Equal(["a", "b"], decision.Targets.Select(t => t.Device.Id).Order());
    }

    [Fact]
    public void Decide_Best_PrefersOnlineThenPresenceThenBatteryThenConnectivity()
    {
        var rule = Parse("steps:\n  - to: best\n    via: inApp\n");
        var offlineActive = Device("offline", Platform.Ios, online: false, presence: Presence.Active);
        var onlineIdleLow = Device("low", Platform.Ios, presence: Presence.Idle, battery: new BatteryState(0.05, false, false));
        var onlineIdleCell = Device("cell", Platform.Ios, presence: Presence.Idle, battery: new BatteryState(0.8, false, false),
            net: new ConnectivityState(ConnectivityType.Cellular, true));
        var onlineIdleWifi = Device("wifi", Platform.Ios, presence: Presence.Idle, battery: new BatteryState(0.8, false, false),
            net: new ConnectivityState(ConnectivityType.Wifi, false));

        Assert.Equal("wifi", Decide(rule, [offlineActive, onlineIdleLow, onlineIdleCell, onlineIdleWifi]).Targets.Single().Device.Id);
        Assert.Equal("cell", Decide(rule, [offlineActive, onlineIdleLow, onlineIdleCell]).Targets.Single().Device.Id);
        Assert.Equal("low", Decide(rule, [offlineActive, onlineIdleLow]).Targets.Single().Device.Id);
        Assert.Equal("offline", Decide(rule, [offlineActive]).Targets.Single().Device.Id);
    }

    [Fact]
    public void Decide_LowBatteryButCharging_IsNotLow()
    {
        Assert.False(DeviceRanking.IsLowBattery(new DeviceState(true, null, null, new BatteryState(0.05, true, false), null, null, null, null)));
        Assert.True(DeviceRanking.IsLowBattery(new DeviceState(true, null, null, new BatteryState(0.5, false, true), null, null, null, null)));
    }

    [Fact]
    public void Decide_NoDevices_NothingFoundWithReason()
    {
        var decision = Decide(Parse(Slack), []);

        Assert.False(decision.Found);
        Assert.Equal("no step from 1 on could reach the user", decision.Reason);
        Assert.StartsWith("rule 'mention'", decision.Trace[0].Message);
    }

    [Fact]
    public void Decide_SameInput_SameDecision()
    {
        var devices = new[] { Device("a", Platform.Ios, presence: Presence.Idle), Device("b", Platform.Android, presence: Presence.Idle) };
        var first = Decide(Parse(Slack), devices);
        var second = Decide(Parse(Slack), devices.Reverse().ToArray());
        Assert.Equal(first.Targets.Single().Device.Id, second.Targets.Single().Device.Id);
    }

    [Fact]
    public void Decide_WhereOnLocalTime_UsesTheUsersZone()
    {
        // 10:00 UTC is 10:00 in Lisbon in November (WET, UTC+0) but 19:00 in Tokyo.
        var rule = Parse("steps:\n  - to: best\n    via: inApp\n    when: local.hour >= 9 && local.hour < 18\n");
        var devices = new[] { Device("a", Platform.Ios) };
        Assert.True(DecisionEngine.Decide(new DecisionInput(Note(), Ana, devices, rule, 0, [], new HashSet<Channel> { Channel.InApp }, Now)).Found);
        var tokyo = Ana with { TimeZone = "Asia/Tokyo" };
        Assert.False(DecisionEngine.Decide(new DecisionInput(Note(), tokyo, devices, rule, 0, [], new HashSet<Channel> { Channel.InApp }, Now)).Found);
    }
}

public class DecisionLearnedScoreTests
{
    [Fact]
    public void Decide_WithAResponseScore_BestPrefersTheLikelierDevice_AfterPresence()
    {
        var now = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        var rule = RuleParser.Parse("steps:\n  - to: best\n    via: inApp\n", "r").Rule!;
        var user = new User("app", "u", null, "UTC", null, now, now);
        var n = new Notification { Id = "n", AppId = "app", UserId = "u", Category = "c", Priority = Priority.Normal, CreatedAt = now, ExpiresAt = now.AddHours(1), RuleName = "r", RuleVersion = "v", Status = NotificationStatus.Scheduled };
        DeviceSnapshot D(string id) => new(new Device(id, "app", "u", Platform.Ios, id, null, "h", now),
            new DeviceState(true, Presence.Idle, null, null, new ConnectivityState(id == "a" ? ConnectivityType.Wifi : ConnectivityType.Cellular, false), null, null, now));
        var input = new DecisionInput(n, user, [D("a"), D("b")], rule, 0, [], new HashSet<Channel> { Channel.InApp }, now);

        Assert.Equal("a", DecisionEngine.Decide(input).Targets.Single().Device.Id);
        var scored = DecisionEngine.Decide(input with { ResponseScore = d => d.Device.Id == "b" ? 0.9 : 0.2 });
        Assert.Equal("b", scored.Targets.Single().Device.Id);
        Assert.Contains("learned response 90", scored.Reason);
    }
}
