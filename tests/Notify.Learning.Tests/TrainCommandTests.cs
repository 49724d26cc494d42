using Microsoft.Extensions.Logging.Abstractions;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Server.Learning;
using Notify.Storage.Sqlite;

namespace Notify.Learning.Tests;

public class TrainCommandTests
{
    [Fact]
    public async Task Outcomes_RespondedOnOneDevice_OthersAreSeenElsewhere()
    {
        var path = Path.Combine(Kit.TempFolder(), "notify.db");
        await using var store = new SqliteStore(new SqliteOptions { Path = path }, NullLogger<SqliteStore>.Instance);
        var f = new ResponseFeatures("ios", "active", true, false, 1, 0.5, false, false, "wifi", false, 12, 3, "mention", "normal", "inApp", 0);
        store.Decided(new OutcomeStart("d1", "n1", "app", "ana", "phone", Kit.Noon, TimeSpan.FromMinutes(2), f));
        store.Decided(new OutcomeStart("d2", "n1", "app", "ana", "desktop", Kit.Noon, TimeSpan.FromMinutes(2), f with { Platform = "desktop" }));
        store.Decided(new OutcomeStart("d3", "n2", "app", "ana", "phone", Kit.Noon, TimeSpan.FromMinutes(2), f));
        store.Responded("n1", "phone", AckAction.Opened, Kit.Noon.AddSeconds(30));
        store.Unanswered("n2", 0, OutcomeKind.FollowedUp, Kit.Noon.AddMinutes(2));
        await store.FlushOutcomesAsync();

        var outcomes = (await store.ReadOutcomesAsync()).ToDictionary(o => o.Start.DeliveryId);

        Assert.Equal(OutcomeKind.Opened, outcomes["d1"].Outcome);
        Assert.True(outcomes["d1"].Responded);
        Assert.Equal(OutcomeKind.SeenElsewhere, outcomes["d2"].Outcome);
        Assert.Equal("desktop", outcomes["d2"].Start.Features.Platform);
        Assert.Equal(OutcomeKind.FollowedUp, outcomes["d3"].Outcome);
        Assert.False(outcomes["d3"].Responded);
    }

    [Fact]
    public async Task Train_TempSqliteWithOutcomes_WritesTheModelAndItsCard()
    {
        var folder = Kit.TempFolder();
        var storePath = Path.Combine(folder, "notify.db");
        await using (var store = new SqliteStore(new SqliteOptions { Path = storePath }, NullLogger<SqliteStore>.Instance))
        {
            foreach (var o in Kit.Outcomes(users: 12, perUser: 25))
            {
                store.Decided(o.Start);
                if (o.Outcome == OutcomeKind.Seen) store.Responded(o.Start.NotificationId, o.Start.DeviceId, AckAction.Seen, o.ResolvedAt!.Value);
                else store.Unanswered(o.Start.NotificationId, 0, OutcomeKind.FollowedUp, o.ResolvedAt!.Value);
            }
            await store.FlushOutcomesAsync();
        }
        var modelPath = Path.Combine(folder, "models", "response.zip");
        var output = new StringWriter();
        var errors = new StringWriter();

        var code = await TrainEntry.RunAsync(["train", "--store", storePath, "--out", modelPath, "--trainers", "fastTree,sdca"], output, errors);

        Assert.True(code == 0, errors.ToString());
        Assert.Contains("train: training FastTree", output.ToString());
        Assert.Contains("train: kept", output.ToString());
        using var model = MlResponseModel.Load(modelPath);
        var card = await File.ReadAllTextAsync(Path.ChangeExtension(modelPath, ".md"));
        Assert.Contains("| FastTree", card);
        Assert.Contains("| Sdca", card);
        Assert.Contains("300 recorded", card);
        Assert.Contains("## Calibration", card);
    }

    [Fact]
    public async Task Train_NoStore_ExitsWithAHint()
    {
        var errors = new StringWriter();
        var code = await TrainEntry.RunAsync(["train", "--store", Path.Combine(Kit.TempFolder(), "missing.db")], new StringWriter(), errors);
        Assert.Equal(2, code);
        Assert.Contains("--store", errors.ToString());
    }
}
