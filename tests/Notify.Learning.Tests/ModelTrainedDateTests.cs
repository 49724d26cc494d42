namespace Notify.Learning.Tests;

/// <summary>
/// The "trained" date the server logs for the shipped model comes from the model card (or the zip's entries), not from
/// the file's timestamp, which a checkout or copy sets to the day the file arrived.
/// </summary>
public sealed class ModelTrainedDateTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("notify-model-date-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string ShippedModels()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Notify.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "models");
    }

    /// <summary>The shipped model copied as a checkout would: its file time is today, not the training day.</summary>
    private string CopyShipped(bool withCard)
    {
        var zip = Path.Combine(_folder, "response.zip");
        File.Copy(Path.Combine(ShippedModels(), "response.zip"), zip);
        if (withCard) File.Copy(Path.Combine(ShippedModels(), "response.md"), Path.Combine(_folder, "response.md"));
        File.SetLastWriteTimeUtc(zip, new DateTime(2031, 1, 2, 3, 4, 0, DateTimeKind.Utc));
        return zip;
    }

    [Fact]
    public void Load_ShippedModelWithItsCard_DescribesTheCardsTrainedDate()
    {
        var zip = CopyShipped(withCard: true);
        var card = File.ReadAllLines(Path.ChangeExtension(zip, ".md"));
        var trained = card[Array.IndexOf(card, "## Trained") + 2];

        using var model = MlResponseModel.Load(zip);

        Assert.Equal($"response.zip (trained {trained}, from the model card)", model.Description);
    }

    [Fact]
    public void Load_ShippedModelWithoutItsCard_DescribesTheZipEntriesDate()
    {
        var zip = CopyShipped(withCard: false);

        using var model = MlResponseModel.Load(zip);

        Assert.DoesNotContain("2031", model.Description);
        Assert.Matches(@"^response\.zip \(trained \d{4}-\d\d-\d\d \d\d:\d\dZ, from the zip entries\)$", model.Description);
    }

    [Fact]
    public void ReadTrained_CardAsWritten_ReadsTheInstantInUtc()
    {
        var at = ModelCard.ReadTrained(["# Model card", "", "## Trained", "", "2026-11-27 18:51Z", "", "## How to retrain"]);

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 18, 51, 0, TimeSpan.Zero), at);
    }
}
