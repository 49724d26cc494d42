using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Notify.Engine.Learning;

namespace Notify.Learning;

/// <summary>
/// Loads <see cref="LearningOptions.ModelPath"/> into <see cref="ResponseScoring"/> at start and again whenever the file
/// changes (written, replaced, deleted). A file that does not load leaves the previous model in place; no file means
/// the heuristic ranking. The swap is one reference assignment, so decisions in flight keep the model they started with.
/// </summary>
public sealed partial class ResponseModelLoader(ResponseScoring scoring, IOptions<LearningOptions> options, TimeProvider time,
    ILogger<ResponseModelLoader> logger) : IHostedService, IDisposable
{
    private readonly LearningOptions _options = options.Value;
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;
    private readonly Lock _gate = new();

    /// <summary>Raised after every load attempt (tests wait on it instead of the clock).</summary>
    public event Action<IResponseModel?>? Reloaded;

    public Task StartAsync(CancellationToken ct)
    {
        Load();
        var path = Path.GetFullPath(_options.ModelPath);
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            LogNoFolder(folder);
            return Task.CompletedTask;
        }
        _watcher = new FileSystemWatcher(folder, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Schedule();
        _watcher.Created += (_, _) => Schedule();
        _watcher.Deleted += (_, _) => Schedule();
        _watcher.Renamed += (_, _) => Schedule();
        _watcher.EnableRaisingEvents = true;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Loads the file now (or clears the model when it is gone).</summary>
    public void Load()
    {
        var path = Path.GetFullPath(_options.ModelPath);
        lock (_gate)
        {
            if (!File.Exists(path))
            {
                if (scoring.Model is not null) LogModelRemoved(path);
                else LogNoModel(path);
                Swap(null);
            }
            else
            {
                try
                {
                    var model = MlResponseModel.Load(path);
                    Swap(model);
                    LogLoaded(model.Description, model.FastPath ? "from the tree parameters" : $"by ML.NET's prediction engine ({model.FastPathOffBecause})");
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or InvalidDataException or UnauthorizedAccessException)
                {
                    LogLoadFailed(e, path);
                }
            }
        }
        Reloaded?.Invoke(scoring.Model);
    }

    // The old model is not disposed: a decision in flight may still hold it; its thread-local engines go with the GC.
    private void Swap(IResponseModel? model) => scoring.Model = model;

    private void Schedule()
    {
        lock (_gate)
        {
            _debounce?.Dispose();
            _debounce = time.CreateTimer(_ => Load(), null, _options.ReloadDelay, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _watcher = null;
        lock (_gate) _debounce?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Response model loaded: {Model}, scored {Scoring}; 'best' ranks with learned scores")]
    private partial void LogLoaded(string model, string scoring);

    [LoggerMessage(Level = LogLevel.Information, Message = "No response model at {Path}: devices are ranked by the heuristic (train one with 'train')")]
    private partial void LogNoModel(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The response model {Path} was removed: back to the heuristic ranking")]
    private partial void LogModelRemoved(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The response model {Path} could not be loaded; keeping the previous one")]
    private partial void LogLoadFailed(Exception e, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model folder {Folder} does not exist: not watching for a model")]
    private partial void LogNoFolder(string folder);
}
