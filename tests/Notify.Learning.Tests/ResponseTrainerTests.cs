using Notify.Engine.Learning;

namespace Notify.Learning.Tests;

public class ResponseTrainerTests
{
    [Fact]
    public void Train_TinyData_SavedModelLoadsAndRanksTheActiveDeviceHigher()
    {
        var report = ResponseTrainer.Train(Kit.Outcomes(users: 20, perUser: 30), [TrainerKind.FastTree, TrainerKind.Sdca]);
        Assert.Equal(2, report.Results.Count);
        Assert.True(report.TestUsers > 0);
        Assert.True(report.Kept.Auc > 0.75, $"AUC {report.Kept.Auc}");

        var path = Path.Combine(Kit.TempFolder(), "response.zip");
        ResponseTrainer.Save(report, path);
        using var model = MlResponseModel.Load(path);
        var active = new ResponseFeatures("ios", "active", true, true, 5, 0.8, false, false, "wifi", false, 10, 3, "mention", "normal", "inApp", 0);
        var away = active with { Presence = "away", Online = false, Foreground = false, SecondsSinceActive = 7200 };

        Assert.True(model.Score(active) > 0.6, $"active {model.Score(active)}");
        Assert.True(model.Score(away) < 0.4, $"away {model.Score(away)}");
    }

    [Fact]
    public async Task Score_ManyThreads_SameAnswerAsOneThread()
    {
        var report = ResponseTrainer.Train(Kit.Outcomes(10, 40), [TrainerKind.Sdca]);
        using var model = new MlResponseModel(report.Kept.Model, "test");
        var features = Enumerable.Range(0, 64).Select(i => new ResponseFeatures("ios", i % 2 == 0 ? "active" : "away", i % 2 == 0, false, i * 100,
            0.5, false, false, "wifi", false, i % 24, 3, "mention", "normal", "inApp", 0)).ToArray();
        var expected = features.Select(f => model.Score(f)).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => features.Select(f => model.Score(f)).ToArray())));

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Train_AllTheSameResult_SaysSo()
    {
        var same = Kit.Outcomes(5, 10).Select(o => o with { Outcome = OutcomeKind.FollowedUp }).ToList();
        var e = Assert.Throws<InvalidOperationException>(() => ResponseTrainer.Train(same, [TrainerKind.Sdca]));
        Assert.Contains("same result", e.Message);
    }

    [Fact]
    public void IsTestUser_IsStableAndHoldsOutAboutAFifth()
    {
        var users = Enumerable.Range(0, 2000).Select(i => $"u{i}").ToList();
        var held = users.Count(ResponseTrainer.IsTestUser);
        Assert.InRange(held, 300, 500);
        Assert.Equal(users.Select(ResponseTrainer.IsTestUser), users.Select(ResponseTrainer.IsTestUser));
    }
}

public class TreeScorerTests
{
    [Theory]
    [InlineData(TrainerKind.FastTree, true)]
    [InlineData(TrainerKind.LightGbm, true)]
    [InlineData(TrainerKind.Sdca, false)]
    public void Load_TreeModel_ScoresFromTheParameters_SameAsMlNet(TrainerKind trainer, bool fast)
    {
        var report = ResponseTrainer.Train(Kit.Outcomes(20, 30), [trainer]);
        var path = Path.Combine(Kit.TempFolder(), "response.zip");
        ResponseTrainer.Save(report, path);
        using var model = MlResponseModel.Load(path);

        Assert.True(fast == model.FastPath, model.FastPathOffBecause);
        var f = new ResponseFeatures("ios", "active", true, true, 5, 0.8, false, false, "wifi", false, 10, 3, "mention", "normal", "inApp", 0);
        foreach (var row in new[] { f, f with { Presence = "away", Online = false, SecondsSinceActive = 7200 }, f with { Platform = "unseen" } })
            Assert.Equal(model.ScoreWithEngine(row), model.Score(row), 4);
    }
}
