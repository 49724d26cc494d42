using Microsoft.Extensions.Options;

namespace Notify.Server.Realtime;

/// <summary>
/// On shutdown (SIGTERM), before any hosted service stops: closes every realtime connection at once with WebSocket
/// close code 1012 (service restart) so the SDKs reconnect to another node, and ends SSE streams; a device that does
/// not answer within <see cref="RealtimeOptions.ShutdownGrace"/> is cut off. Without this, Kestrel would wait for
/// each open WebSocket until the host's 30 s shutdown timeout. The disconnects mark the devices offline before the
/// write-behind's last flush (<see cref="Hosting.StateFlushService"/>) and the timer loop releases its leases.
/// </summary>
internal sealed partial class RealtimeShutdown(ConnectionHub hub, IOptions<RealtimeOptions> options, ILogger<RealtimeShutdown> logger)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var (open, cutOff) = await hub.CloseAllAsync(options.Value.ShutdownGrace, cancellationToken);
        if (open > 0) LogClosed(logger, open, cutOff);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: closed {Open} realtime connections (1012, service restart); {CutOff} did not answer in time and were cut off")]
    private static partial void LogClosed(ILogger logger, int open, int cutOff);
}
