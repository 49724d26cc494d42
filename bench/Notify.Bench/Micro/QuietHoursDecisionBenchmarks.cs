using BenchmarkDotNet.Attributes;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;

namespace Notify.Bench.Micro;

/// <summary>
/// The rules issue's bar: one decision of a 3-step tree over 4 devices for a user with quiet hours, median under
/// 20 µs. Cases: outside quiet hours (step 1 finds nobody active, step 2 evaluates the spec's CEL <c>where</c>,
/// <c>device.platform in ['ios', 'android']</c>, on every device and ranks them), the same with a two-clause
/// <c>where</c> (CEL's interpreter is the dominant cost), and inside quiet hours (held at once). Baseline: the same tree with no conditions and a
/// user with no quiet hours, so the ratio shows what conditions and quiet hours add.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class QuietHoursDecisionBenchmarks
{
    private const string Tree = """
        name: tree
        quietHours: hold
        steps:
          - to: attention
            via: inApp
            wait: 2m
          - to: best
            where: device.platform in ['ios', 'android']
            via: inApp
            wait: 5m
          - to: user
            via: email
            when: notification.priority != 'low'
        """;

    private const string PlainRule = "name: plain\nsteps:\n  - to: attention\n    via: inApp\n    wait: 2m\n  - to: best\n    via: inApp\n    wait: 5m\n  - to: user\n    via: email\n";

    private static readonly DateTimeOffset Day = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Night = new(2026, 11, 27, 23, 30, 0, TimeSpan.Zero);

    private DecisionInput _plain = null!;
    private DecisionInput _day = null!;
    private DecisionInput _night = null!;
    private DecisionInput _compound = null!;

    [GlobalSetup]
    public void Setup()
    {
        var tree = RuleParser.Parse(Tree, "tree").Rule!;
        var plain = RuleParser.Parse(PlainRule, "plain").Rule!;
        var quiet = QuietHoursParser.TryParse([new QuietWindowInput(["daily"], "22:00", "07:00")], null, ["critical"], out _)!;
        var user = new User("app", "ana", "ana@example.com", "Europe/Lisbon", "pt-PT", Day, Day) { QuietHours = quiet };
        var n = new Notification
        {
            Id = "ntf", AppId = "app", UserId = "ana", Category = "mention", Priority = Priority.Normal, CreatedAt = Day,
            ExpiresAt = Day.AddDays(1), RuleName = "tree", RuleVersion = tree.Version, Status = NotificationStatus.Scheduled,
        };
        DeviceSnapshot D(string id, Platform p, Presence presence, double battery) => new(
            new Device(id, "app", "ana", p, id, null, "", Day),
            new DeviceState(true, presence, false, new BatteryState(battery, false, false), new ConnectivityState(ConnectivityType.Wifi, false), null,
                Day.AddMinutes(-5), Day));
        DeviceSnapshot[] devices = [D("laptop", Platform.Desktop, Presence.Idle, 0.8), D("phone", Platform.Ios, Presence.Idle, 0.6),
            D("tablet", Platform.Android, Presence.Away, 0.3), D("browser", Platform.Web, Presence.Idle, 1.0)];
        var channels = new HashSet<Channel> { Channel.InApp, Channel.Email };
        _plain = new DecisionInput(n, user with { QuietHours = QuietHoursSettings.None }, devices, plain, 0, [], channels, Day);
        _day = new DecisionInput(n, user, devices, tree, 0, [], channels, Day);
        _night = _day with { Now = Night };
        var compound = RuleParser.Parse(Tree.Replace("device.platform in ['ios', 'android']",
            "device.platform in ['ios', 'android'] && device.battery.level > 0.1", StringComparison.Ordinal), "compound").Rule!;
        _compound = _day with { Rule = compound };
    }

    [Benchmark(Baseline = true, Description = "no conditions, no quiet hours (baseline)")]
    public Decision Plain() => DecisionEngine.Decide(_plain);

    [Benchmark(Description = "3-step tree, 4 devices, quiet hours set, daytime")]
    public Decision Daytime() => DecisionEngine.Decide(_day);

    [Benchmark(Description = "same, with a two-clause 'where' (platform and battery)")]
    public Decision CompoundWhere() => DecisionEngine.Decide(_compound);

    [Benchmark(Description = "3-step tree, 4 devices, in quiet hours (held)")]
    public Decision InQuietHours() => DecisionEngine.Decide(_night);
}
