using Notify.Learning;
using Notify.Server.Hosting;
using Notify.Storage.Sqlite;

namespace Notify.Server.Learning;

/// <summary>
/// <c>dotnet run --project src/Notify.Server -- train [--store PATH] [--out PATH] [--trainers ...]</c>: runs before any
/// web host is built. The store and model paths default to the server's own configuration (<c>Storage:Sqlite:Path</c>,
/// <c>Learning:ModelPath</c>, relative to the content root), so it trains on what the server recorded.
/// </summary>
public static class TrainEntry
{
    public static bool IsTrain(string[] args) => args.Length > 0 && args[0] == "train";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors)
    {
        var rest = args[1..];
        string? Option(string name)
        {
            var i = Array.IndexOf(rest, name);
            return i >= 0 && i + 1 < rest.Length ? rest[i + 1] : null;
        }
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            output.WriteLine(TrainCommand.Usage);
            return 0;
        }
        if (!TrainCommand.TryParseTrainers(Option("--trainers"), out var trainers))
        {
            errors.WriteLine($"--trainers '{Option("--trainers")}' is not a list of {string.Join(", ", Enum.GetNames<TrainerKind>())}");
            return 2;
        }
        var root = ContentRoot.Resolve(rest) ?? Directory.GetCurrentDirectory();
        var config = new ConfigurationBuilder().SetBasePath(root)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        string Under(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(root, path));
        var storePath = Under(Option("--store") ?? config["Storage:Sqlite:Path"] ?? new SqliteOptions().Path);
        var modelPath = Under(Option("--out") ?? config["Learning:ModelPath"] ?? new LearningOptions().ModelPath);
        if (!File.Exists(storePath))
        {
            errors.WriteLine($"There is no store at {storePath}; pass --store with the SQLite file the server (or the simulator) recorded outcomes in.");
            return 2;
        }
        try
        {
            await using var store = new SqliteStore(new SqliteOptions { Path = storePath }, Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteStore>.Instance);
            var retrain = $"dotnet run --project src/Notify.Server -- train --store {Option("--store") ?? storePath}" +
                          (Option("--source") is { } described ? $" --source \"{described}\"" : "");
            await TrainCommand.RunAsync(store, Option("--source") ?? Path.GetFileName(storePath), modelPath, trainers, TimeProvider.System, output,
                Option("--before") is { } before ? before + "\n" + retrain : retrain);
            return 0;
        }
        catch (InvalidOperationException e)
        {
            errors.WriteLine($"train: {e.Message}");
            return 1;
        }
    }
}
