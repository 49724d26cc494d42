using Microsoft.Extensions.Logging;

namespace Notify.Channels.Apns;

internal static partial class ApnsLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "APNs accepted notification {NotificationId} ({Kind}) as {ApnsId}")]
    public static partial void Sent(ILogger logger, string notificationId, string kind, string? apnsId);

    [LoggerMessage(Level = LogLevel.Information, Message = "APNs answered {Status} {Reason} for notification {NotificationId}: {Outcome}")]
    public static partial void Failed(ILogger logger, int? status, string? reason, string notificationId, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "APNs refuses our configuration ({Status} {Reason}) for notification {NotificationId}; check Channels:Apns")]
    public static partial void Misconfigured(ILogger logger, int? status, string? reason, string notificationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "APNs send of notification {NotificationId} failed without a reply: {Reason}")]
    public static partial void NoReply(ILogger logger, string notificationId, string reason, Exception? exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "APNs notification {NotificationId} refused before sending: {Reason}")]
    public static partial void RefusedLocally(ILogger logger, string notificationId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed a new APNs provider token (iat {IssuedAt:o})")]
    public static partial void TokenSigned(ILogger logger, DateTimeOffset issuedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "APNs called the provider token expired; retrying notification {NotificationId} once with a new one")]
    public static partial void TokenExpired(ILogger logger, string notificationId);
}
