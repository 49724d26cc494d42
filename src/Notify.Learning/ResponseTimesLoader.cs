using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Notify.Engine.Learning;
using Notify.Engine.Storage;

namespace Notify.Learning;

/// <summary>
/// Fills <see cref="ResponseTimes"/> after start from the responses the store has recorded (when it records them), so a
/// learned wait knows each user's typical response time soon after a restart; from then on the delivery workflow adds
/// every acknowledgement. It reads only responses of the last <see cref="Window"/> and only their times (not the
/// features), in the background: the outcomes table grows with every delivery and must not hold up the start. Until it
/// has read them, and if the store cannot be read, the learned steps use their default waits.
/// </summary>
public sealed partial class ResponseTimesLoader(ResponseTimes times, INotifyStore store, TimeProvider time, ILogger<ResponseTimesLoader> logger)
    : BackgroundService
{
    /// <summary>How far back responses are read (30 days): each user keeps only their latest 50 anyway.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromDays(30);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (store is not IOutcomeSource source) return;
        try
        {
            var responses = await source.ReadResponsesAsync(time.GetUtcNow() - Window, ct);
            times.Learn(responses);
            LogLearned(responses.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Response times learned from {Count} recorded responses")]
    private partial void LogLearned(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read recorded responses for learned waits; the default waits apply until users respond")]
    private partial void LogFailed(Exception e);
}
