using Microsoft.Extensions.Logging;

namespace Notify.Client.Devices;

internal static partial class DeviceClientLog
{
    [LoggerMessage(1, LogLevel.Information, "Realtime connection open for device {DeviceId} (reconnect: {IsReconnect}).")]
    public static partial void Connected(ILogger logger, string deviceId, bool isReconnect);

    [LoggerMessage(2, LogLevel.Warning, "Realtime connection lost ({Reason}); reconnecting.")]
    public static partial void ConnectionLost(ILogger logger, DisconnectReason reason, Exception? exception);

    [LoggerMessage(3, LogLevel.Information, "Reconnection attempt {Attempt} in {Delay}.")]
    public static partial void Reconnecting(ILogger logger, int attempt, TimeSpan delay, Exception? exception);

    [LoggerMessage(4, LogLevel.Error, "The server refused the device token ({StatusCode}); not reconnecting.")]
    public static partial void Rejected(ILogger logger, int statusCode);

    [LoggerMessage(5, LogLevel.Warning, "Skipped a realtime message that could not be read.")]
    public static partial void UnreadableMessage(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "Skipped a realtime message of unknown type '{Type}'.")]
    public static partial void UnknownMessage(ILogger logger, string? type);

    [LoggerMessage(7, LogLevel.Debug, "Notification {NotificationId} arrived again (re-sent after a reconnect); not raised twice.")]
    public static partial void Duplicate(ILogger logger, string notificationId);

    [LoggerMessage(8, LogLevel.Error, "A handler of {Event} threw; the connection carries on.")]
    public static partial void HandlerFailed(ILogger logger, string @event, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "Nothing received for {Silence}; dropping the connection as half-open.")]
    public static partial void HeartbeatTimeout(ILogger logger, TimeSpan silence);

    [LoggerMessage(10, LogLevel.Error, "The reconnection loop stopped on an unexpected error.")]
    public static partial void Faulted(ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "The server reported error {Code}: {Message}")]
    public static partial void ServerError(ILogger logger, string code, string message);
}
