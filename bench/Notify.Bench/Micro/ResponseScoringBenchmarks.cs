using BenchmarkDotNet.Attributes;
using Notify.Bench.Simulation;
using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Rules;
using Notify.Learning;

namespace Notify.Bench.Micro;

/// <summary>
/// The learned response model in the decision: one score of the shipped <c>models/response.zip</c> (thread-local ML.NET
/// prediction engine, reused rows), and a <c>best</c> decision over three devices with and without the model (the
/// baseline: the heuristic ranking). Fixed clock, no I/O; the model is loaded once in setup.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ResponseScoringBenchmarks
{
    private const string BestRule = """
        name: bench
        steps:
          - to: best
            via: inApp
            wait: 10m
        """;

    private static readonly DateTimeOffset Now = new(2025, 6, 2, 14, 30, 0, TimeSpan.Zero);

    private MlResponseModel _model = null!;
    private ResponseFeatures _features;
    private DecisionInput _input = null!;
    private ResponseScoring _scoring = null!;
    private Notification _notification = null!;
    private User _user = null!;

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(SimulateCommand.RepoRoot(), "models", "response.zip");
        _model = MlResponseModel.Load(path);
        _scoring = new ResponseScoring(_model);
        var rule = RuleParser.Parse(BestRule, "bench").Rule!;
        _user = new User("default", "u1", null, "Europe/Lisbon", null, Now, Now);
        _notification = new Notification
        {
            Id = "ntf_1", AppId = "default", UserId = "u1", Category = "mention", Priority = Priority.Normal, CreatedAt = Now,
            ExpiresAt = Now.AddHours(24), RuleName = rule.Name, RuleVersion = rule.Version, Status = NotificationStatus.Scheduled,
        };
        DeviceSnapshot[] devices =
        [
            new(new Device("laptop", "default", "u1", Platform.Desktop, null, null, "h", Now), new DeviceState(true, Presence.Idle, false, null,
                new ConnectivityState(ConnectivityType.Wifi, false), null, Now.AddMinutes(-3), Now)),
            new(new Device("phone", "default", "u1", Platform.Android, null, null, "h", Now), new DeviceState(true, Presence.Idle, false,
                new BatteryState(0.6, false, false), new ConnectivityState(ConnectivityType.Cellular, true), null, Now.AddMinutes(-1), Now)),
            new(new Device("tablet", "default", "u1", Platform.Ios, null, null, "h", Now), new DeviceState(false, Presence.Away, null,
                new BatteryState(0.9, true, false), new ConnectivityState(ConnectivityType.Wifi, false), null, Now.AddHours(-5), Now.AddHours(-5))),
        ];
        _features = ResponseFeatures.From(_notification, ResponseFeatures.LocalTime(_user, Now), devices[1], Channel.InApp, 1, Now);
        _input = new DecisionInput(_notification, _user, devices, rule, 0, [], new HashSet<Channel> { Channel.InApp }, Now);
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark]
    public double ScoreOneCandidate() => _model.Score(_features);

    [Benchmark(Baseline = true)]
    public Decision DecideBestWithoutModel() => DecisionEngine.Decide(_input);

    [Benchmark]
    public Decision DecideBestWithModel() => DecisionEngine.Decide(_input with { ResponseScoreFor = _scoring.For(_notification, _user, Now) });
}
