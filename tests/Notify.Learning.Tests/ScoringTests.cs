using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Decisions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Rules;

namespace Notify.Learning.Tests;

public class ScoringTests
{
    private const string BestRule = """
        steps:
          - to: best
            via: inApp
            wait: 2m
        """;

    private sealed class FavourWatch : IResponseModel
    {
        public double Score(in ResponseFeatures f) => f.Platform == "watch" ? 0.9 : 0.2;
        public string Description => "test";
    }

    private static Decision Decide(ResponseScoring scoring)
    {
        var user = Kit.User();
        var note = Kit.Note();
        // Same presence: the heuristic prefers the foreground phone; a model that likes the watch overrides that.
        IReadOnlyList<DeviceSnapshot> devices = [Kit.Device("phone", foreground: true, activeAgo: TimeSpan.FromSeconds(5)),
            Kit.Device("watch", Platform.Watch, activeAgo: TimeSpan.FromSeconds(5))];
        return DecisionEngine.Decide(new DecisionInput(note, user, devices, Kit.Parse(BestRule), 0, [], new HashSet<Channel> { Channel.InApp }, Kit.Noon)
        {
            ResponseScoreFor = scoring.For(note, user, Kit.Noon),
        });
    }

    [Fact]
    public void Decide_WithoutAModel_FallsBackToTheHeuristic()
    {
        var scoring = new ResponseScoring();
        Assert.Null(scoring.For(Kit.Note(), Kit.User(), Kit.Noon));
        var decision = Decide(scoring);
        Assert.Equal("phone", decision.Targets.Single().Device.Id);
        Assert.DoesNotContain(decision.Trace, t => t.Message.Contains("learned response"));
    }

    [Fact]
    public void Decide_WithAModel_BestFollowsTheScore_AndTheTraceShowsIt()
    {
        var decision = Decide(new ResponseScoring(new FavourWatch()));
        Assert.Equal("watch", decision.Targets.Single().Device.Id);
        Assert.Contains(decision.Trace, t => t.Message.Contains("learned response 90"));
    }

    [Fact]
    public void Decide_Attention_ScoreBreaksTheTieBetweenDevicesActiveTogether()
    {
        const string rule = "steps:\n  - to: attention\n    via: inApp\n";
        var user = Kit.User();
        var note = Kit.Note();
        IReadOnlyList<DeviceSnapshot> devices = [Kit.Device("phone", activeAgo: TimeSpan.FromSeconds(1)),
            Kit.Device("watch", Platform.Watch, activeAgo: TimeSpan.FromSeconds(10))];
        DecisionInput Input(ResponseScoring s) => new(note, user, devices, Kit.Parse(rule), 0, [], new HashSet<Channel> { Channel.InApp }, Kit.Noon)
        {
            ResponseScoreFor = s.For(note, user, Kit.Noon),
        };

        Assert.Equal("phone", DecisionEngine.Decide(Input(new ResponseScoring())).Targets.Single().Device.Id);
        var scored = DecisionEngine.Decide(Input(new ResponseScoring(new FavourWatch())));
        Assert.Equal("watch", scored.Targets.Single().Device.Id);
        Assert.Contains("learned response 90", scored.Reason);
    }

    [Fact]
    public void Load_NoModelFile_LeavesTheHeuristic()
    {
        var folder = Kit.TempFolder();
        var scoring = new ResponseScoring(new FavourWatch());
        using var loader = Loader(scoring, Path.Combine(folder, "response.zip"));
        loader.Load();
        Assert.Null(scoring.Model);
    }

    [Fact]
    public void Load_CorruptFile_KeepsThePreviousModel()
    {
        var folder = Kit.TempFolder();
        var path = Path.Combine(folder, "response.zip");
        File.WriteAllText(path, "not a model");
        var previous = new FavourWatch();
        var scoring = new ResponseScoring(previous);
        using var loader = Loader(scoring, path);
        loader.Load();
        Assert.Same(previous, scoring.Model);
    }

    [Fact]
    public async Task Start_FileWrittenLater_IsLoadedWhenItChanges()
    {
        var folder = Kit.TempFolder();
        var path = Path.Combine(folder, "response.zip");
        var report = ResponseTrainer.Train(Kit.Outcomes(10, 40), [TrainerKind.Sdca]);
        var scoring = new ResponseScoring();
        var time = new FakeTimeProvider(Kit.Noon);
        using var loader = Loader(scoring, path, time);
        var loaded = new TaskCompletionSource<IResponseModel?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await loader.StartAsync(CancellationToken.None);
        Assert.Null(scoring.Model);
        loader.Reloaded += m => { if (m is not null) loaded.TrySetResult(m); };

        ResponseTrainer.Save(report, path);
        // The watcher's event arms the debounce timer on the fake clock; advance it until the load happens.
        var deadline = Task.Delay(TimeSpan.FromSeconds(30));
        while (!loaded.Task.IsCompleted && !deadline.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(loaded.Task, Task.Delay(50));
        }
        Assert.True(loaded.Task.IsCompleted, "the model file was not loaded after it was written");
        Assert.IsType<MlResponseModel>(scoring.Model);
        await loader.StopAsync(CancellationToken.None);
    }

    private static ResponseModelLoader Loader(ResponseScoring scoring, string path, TimeProvider? time = null) =>
        new(scoring, Options.Create(new LearningOptions { ModelPath = path, ReloadDelay = TimeSpan.FromMilliseconds(100) }),
            time ?? TimeProvider.System, NullLogger<ResponseModelLoader>.Instance);
}

/// <summary>Skipping a step on a prediction is the rule author's choice (<c>skipBelow</c>), never a server default.</summary>
public class SkipBelowTests
{
    private static string TwoSteps(string? ruleLevel = null, string? stepLevel = null) => $"""
        {(ruleLevel is null ? "" : $"skipBelow: {ruleLevel}")}
        steps:
          - to: best
            via: inApp
            wait: 10m
            {(stepLevel is null ? "" : $"skipBelow: {stepLevel}")}
          - to: best
            via: push
            wait: 15m
        """;

    private sealed class InAppHopeless : IResponseModel
    {
        public double Score(in ResponseFeatures f) => f.Channel == "inApp" ? 0.05 : 0.7;
        public string Description => "test";
    }

    private static Decision Decide(string rule, IResponseModel? model, bool pushToken = true)
    {
        var user = Kit.User();
        var note = Kit.Note();
        var phone = Kit.Device("phone", online: false, presence: Presence.Idle);
        if (!pushToken) phone = phone with { Device = phone.Device with { Push = null } };
        var scoring = new ResponseScoring(model);
        return DecisionEngine.Decide(new DecisionInput(note, user, [phone], Kit.Parse(rule), 0, [],
            new HashSet<Channel> { Channel.InApp, Channel.Push }, Kit.Noon)
        {
            ResponseScoreFor = scoring.For(note, user, Kit.Noon),
        });
    }

    [Theory]
    [InlineData("20%", null)]
    [InlineData(null, "0.2")]
    public void Decide_RuleOptsIn_BestScoresBelowTheFloor_PassesToTheNextStepNow(string? ruleLevel, string? stepLevel)
    {
        var decision = Decide(TwoSteps(ruleLevel, stepLevel), new InAppHopeless());
        Assert.Equal(1, decision.Step);
        Assert.Equal(Channel.Push, decision.Channel);
        Assert.Contains(decision.Trace, t => t.Kind == TraceKind.PassedOver && t.Message.Contains("learned response of 5") && t.Message.Contains("skipBelow 20"));
    }

    [Fact]
    public void Decide_RuleSaysNothing_TheModelOnlyRanks_EvenAHopelessScoreKeepsTheStep()
    {
        var decision = Decide(TwoSteps(), new InAppHopeless());
        Assert.Equal(0, decision.Step);
        Assert.DoesNotContain(decision.Trace, t => t.Kind == TraceKind.PassedOver);
    }

    [Fact]
    public void Decide_RuleOptsInButNoModel_KeepsTheStep() => Assert.Equal(0, Decide(TwoSteps("20%"), null).Step);

    [Fact]
    public void Decide_NoLaterStepCanReach_TakesTheSkippedStepAfterAll()
    {
        var decision = Decide(TwoSteps("20%"), new InAppHopeless(), pushToken: false);
        Assert.True(decision.Found);
        Assert.Equal(0, decision.Step);
        Assert.Equal(Channel.InApp, decision.Channel);
        Assert.Contains("back to step 1", decision.Reason);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("120%")]
    [InlineData("often")]
    public void Parse_SkipBelowOutOfRange_IsARuleProblem(string value)
    {
        var parsed = RuleParser.Parse(TwoSteps(value), "r");
        Assert.Null(parsed.Rule);
        Assert.Contains(parsed.Problems, p => p.Message.Contains("'skipBelow'"));
    }
}
