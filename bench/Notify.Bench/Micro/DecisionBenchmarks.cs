using BenchmarkDotNet.Attributes;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Bench.Micro;

/// <summary>
/// The pure decision, <see cref="DecisionEngine.Decide"/>, on the shipped <c>mention</c> rule, against ranking
/// alone as the baseline (the least any decision must do). Cases: the common one (the user is at a device,
/// step 1 picks it), nobody active (step 1 passes every device over, step 2 evaluates its CEL <c>where</c> per
/// device), and a late follow-up (step 4 passes every device over, step 5 is email with a <c>when</c>); and two of its parts, to show where the time goes.
/// Fixed clock, no I/O.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class DecisionBenchmarks
{
    // A copy of rules/mention.yaml as shipped when this was written (kept here so a rule edit does not move the numbers silently).
    private const string MentionRule = """
        name: mention
        match:
          categories: [mention, reply]
        priority: normal
        ttl: 24h
        quietHours: hold
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
          - to: best
            via: inApp
            wait: 30m
          - to: user
            via: email
            when: notification.priority != 'low'
        """;

    private static readonly DateTimeOffset Now = new(2025, 6, 2, 14, 30, 0, TimeSpan.Zero);

    private DeviceSnapshot[] _devices = [];
    private DecisionInput _attention = null!;
    private DecisionInput _nobodyActive = null!;
    private DecisionInput _email = null!;
    private Condition _where = null!;
    private IDictionary<string, object?> _vars = null!;

    [Params(3, 4)]
    public int Devices { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var parsed = RuleParser.Parse(MentionRule, "bench");
        var rule = parsed.Rule ?? throw new InvalidOperationException(string.Join("; ", parsed.Problems));
        var user = new User("default", "u1", "ana@example.com", "Europe/Lisbon", "pt-PT", Now.AddDays(-30), Now.AddDays(-1));
        var notification = new Notification
        {
            Id = Ids.New("ntf", Now), AppId = "default", UserId = "u1", Category = "mention", Title = "Ana mentioned you",
            Body = "Can you look at the release notes?", Priority = Priority.Normal, CreatedAt = Now, ExpiresAt = Now.AddHours(24),
            RuleName = rule.Name, RuleVersion = rule.Version, Status = NotificationStatus.Scheduled,
        };

        var all = new[]
        {
            Snapshot("laptop", Platform.Desktop, new DeviceState(true, Presence.Active, true, null,
                new ConnectivityState(ConnectivityType.Wifi, false), null, Now.AddSeconds(-10), Now.AddSeconds(-2))),
            Snapshot("phone", Platform.Android, new DeviceState(true, Presence.Idle, false, new BatteryState(0.8, false, false),
                new ConnectivityState(ConnectivityType.Cellular, true), null, Now.AddMinutes(-5), Now.AddSeconds(-30))),
            Snapshot("browser", Platform.Web, new DeviceState(false, Presence.Away, false, null, null, null, Now.AddDays(-1), Now.AddHours(-3))),
            Snapshot("tablet", Platform.Ios, new DeviceState(true, Presence.Away, false, new BatteryState(0.1, false, true),
                new ConnectivityState(ConnectivityType.Wifi, false), null, Now.AddHours(-2), Now.AddMinutes(-1))),
        };
        _devices = all[..Devices];
        var idle = _devices.Select(d => d with { State = d.State with { Presence = Presence.Idle } }).ToArray();

        _where = rule.Steps[1].Alternatives[0].Where!;
        _vars = ConditionContext.For(notification, user, Now);

        var inApp = new HashSet<Channel> { Channel.InApp };
        var withEmail = new HashSet<Channel> { Channel.InApp, Channel.Email };
        _attention = new DecisionInput(notification, user, _devices, rule, 0, [], inApp, Now);
        _nobodyActive = new DecisionInput(notification, user, idle, rule, 0, [], inApp, Now);
        // A follow-up after every in-app step: each device already has it in-app, so the walk passes them over to email.
        var emailStep = rule.Steps.Length - 1;
        _email = new DecisionInput(notification with { Step = emailStep - 1 }, user, _devices, rule, emailStep - 1,
            _devices.Select(d => (d.Device.Id, Channel.InApp)).ToList(), withEmail, Now);
    }

    [Benchmark(Baseline = true, Description = "rank only (DeviceRanking.Rank)")]
    public DeviceSnapshot RankOnly() => DeviceRanking.Rank(_devices).First();

    [Benchmark(Description = "decide: attention device active (step 1)")]
    public Decision Attention() => DecisionEngine.Decide(_attention);

    [Benchmark(Description = "decide: nobody active (step 2, CEL where per device)")]
    public Decision NobodyActive() => DecisionEngine.Decide(_nobodyActive);

    [Benchmark(Description = "decide: follow-up to email (last steps, CEL when)")]
    public Decision Email() => DecisionEngine.Decide(_email);

    [Benchmark(Description = "part: condition variables (ConditionContext.For)")]
    public IDictionary<string, object?> Variables() => ConditionContext.For(_attention.Notification, _attention.User, Now);

    [Benchmark(Description = "part: one CEL 'where' on one device (its variables + evaluate)")]
    public bool WhereOnce() => _where.Evaluate(ConditionContext.WithDevice(_vars, _devices[1], Now), out _);

    private static DeviceSnapshot Snapshot(string name, Platform platform, DeviceState state) =>
        new(new Device($"dev_{name}", "default", "u1", platform, name, null, "hash", Now.AddDays(-7)), state);
}
