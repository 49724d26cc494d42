using Microsoft.Extensions.Logging.Abstractions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Learning;
using Notify.Server.Learning;
using Notify.Storage.Sqlite;

namespace Notify.Learning.Tests;

/// <summary>
/// <c>train</c> on a store that cannot make a model (too few labelled outcomes, one result only, a held-out set with one
/// result) says what it needs and exits 1, instead of ML.NET's "AUC is not defined when there is no negative class".
/// </summary>
public class TrainTooFewTests
{
    private static async Task<string> StoreWithAsync(IEnumerable<OutcomeRecord> outcomes)
    {
        var storePath = Path.Combine(Kit.TempFolder(), "notify.db");
        await using var store = new SqliteStore(new SqliteOptions { Path = storePath }, NullLogger<SqliteStore>.Instance);
        foreach (var o in outcomes)
        {
            store.Decided(o.Start);
            if (o.Outcome == OutcomeKind.Seen) store.Responded(o.Start.NotificationId, o.Start.DeviceId, AckAction.Seen, o.ResolvedAt!.Value);
            else store.Unanswered(o.Start.NotificationId, 0, OutcomeKind.FollowedUp, o.ResolvedAt!.Value);
        }
        await store.FlushOutcomesAsync();
        return storePath;
    }

    private static async Task<(int Code, string Errors)> TrainAsync(string storePath)
    {
        var errors = new StringWriter();
        var code = await TrainEntry.RunAsync(["train", "--store", storePath, "--out", Path.Combine(Path.GetDirectoryName(storePath)!, "m.zip"), "--trainers", "sdca"],
            new StringWriter(), errors);
        return (code, errors.ToString());
    }

    [Fact]
    public async Task Train_TooFewOutcomes_SaysHowManyOfEachItNeeds_Exit1()
    {
        var outcomes = Kit.Outcomes(users: 2, perUser: 4);
        var responded = outcomes.Count(o => o.Outcome == OutcomeKind.Seen);
        var (code, errors) = await TrainAsync(await StoreWithAsync(outcomes));

        Assert.Equal(1, code);
        Assert.Contains($"at least {ResponseTrainer.MinimumPerResult} of each result", errors);
        Assert.Contains($"responded ({responded} recorded) and not responded ({outcomes.Count - responded} recorded)", errors);
    }

    [Fact]
    public async Task Train_OneResultOnly_SaysItNeedsBoth_Exit1()
    {
        var (code, errors) = await TrainAsync(await StoreWithAsync(Kit.Outcomes(5, 10).Select(o => o with { Outcome = OutcomeKind.FollowedUp })));

        Assert.Equal(1, code);
        Assert.Contains("responded (0 recorded) and not responded (50 recorded)", errors);
    }

    [Fact]
    public void Train_HeldOutUsersAllWithOneResult_EvaluatesOnTheTrainingRowsInsteadOfThrowing()
    {
        // Before: ML.NET threw ArgumentOutOfRangeException (AUC is not defined when there is no positive class).
        var outcomes = Kit.Outcomes(20, 30)
            .Select(o => ResponseTrainer.IsTestUser(o.Start.UserId) ? o with { Outcome = OutcomeKind.FollowedUp } : o).ToList();
        Assert.Contains(outcomes, o => ResponseTrainer.IsTestUser(o.Start.UserId));

        var report = ResponseTrainer.Train(outcomes, [TrainerKind.Sdca]);

        Assert.InRange(report.Kept.Auc, 0.5, 1.0);
    }
}
