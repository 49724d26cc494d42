using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Notify.Engine.Learning;
using Notify.Engine.Storage;

namespace Notify.Learning;

/// <summary>
/// Fills <see cref="ResponseTimes"/> at start from the outcomes the store has recorded (when it records them), so a
/// learned wait knows each user's typical response time from the first notification after a restart; from then on the
/// delivery workflow adds every acknowledgement. A store that cannot be read leaves it empty (the default waits apply).
/// </summary>
public sealed partial class ResponseTimesLoader(ResponseTimes times, INotifyStore store, ILogger<ResponseTimesLoader> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        if (store is not IOutcomeSource source) return;
        try
        {
            var outcomes = await source.ReadOutcomesAsync(ct);
            times.Learn(outcomes);
            LogLearned(outcomes.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Response times learned from {Count} recorded outcomes")]
    private partial void LogLearned(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read outcomes for learned waits; the default waits apply until users respond")]
    private partial void LogFailed(Exception e);
}
