using Notify.Engine.Model;
using Notify.Engine.Notifications;

namespace Notify.Engine.Channels;

/// <summary>How one send attempt to a provider ended; it decides what the dispatcher does next.</summary>
public enum SendOutcome
{
    /// <summary>The provider accepted the message.</summary>
    Sent,
    /// <summary>The push token is dead (FCM <c>UNREGISTERED</c>, APNs 410 <c>Unregistered</c>, 400 <c>BadDeviceToken</c>, ...):
    /// forget the token, fail the step, move the chain on at once.</summary>
    TokenInvalid,
    /// <summary>This message can never be sent as it is (payload too large, a bad collapse id, a refused address):
    /// fail the step and move on; the token stays.</summary>
    Rejected,
    /// <summary>Try again later (429, 500, 503, a timeout, a reset connection), after <see cref="SendResult.RetryAfter"/> if given.</summary>
    Transient,
    /// <summary>Our own configuration is wrong (FCM <c>THIRD_PARTY_AUTH_ERROR</c>, APNs <c>InvalidProviderToken</c>, SMTP
    /// authentication): reported loudly in logs, health and metrics; not retried until the configuration changes.</summary>
    Misconfigured,
}

/// <summary>The result of one attempt, as recorded on the delivery.</summary>
/// <param name="Provider"><c>fcm</c>, <c>apns</c> or <c>email</c>.</param>
/// <param name="Status">The provider's status code (HTTP status, SMTP reply code), null when no reply came.</param>
/// <param name="Reason">The provider's reason (<c>UNREGISTERED</c>, <c>BadDeviceToken</c>, a timeout message, ...).</param>
/// <param name="RetryAfter">The provider's <c>Retry-After</c>, for <see cref="SendOutcome.Transient"/>.</param>
/// <param name="MessageId">The provider's id for the message (FCM <c>name</c>, <c>apns-id</c>, SMTP queue id).</param>
public sealed record SendResult(SendOutcome Outcome, string Provider, int? Status, string? Reason,
    TimeSpan? RetryAfter = null, string? MessageId = null)
{
    public static SendResult Ok(string provider, int? status = 200, string? messageId = null) => new(SendOutcome.Sent, provider, status, null, null, messageId);
}

/// <summary>What a push carries: the notification itself, or the silent order to remove it (seen elsewhere).</summary>
public enum PushKind { Alert, Clear }

/// <summary>One push to one device.</summary>
/// <param name="Target">The device's registration (provider, token, APNs topic and environment).</param>
/// <param name="Notification">What to show; for <see cref="PushKind.Clear"/> only its id matters.</param>
/// <param name="CollapseKey">The notification's collapse key (FCM <c>collapse_key</c>, <c>apns-collapse-id</c>).</param>
/// <param name="ClearReason">For <see cref="PushKind.Clear"/>: <c>seen-elsewhere</c>, <c>dismissed</c>, <c>expired</c>, <c>collapsed</c>.</param>
public sealed record PushMessage(PushRegistration Target, PushKind Kind, NotificationPayload Notification, string? CollapseKey = null,
    string? ClearReason = null);

/// <summary>A push provider adapter (FCM HTTP v1, APNs). One attempt per call, classified; retries, circuits and
/// recording belong to the caller. Implementations are thread-safe and reuse their connections.</summary>
public interface IPushProvider
{
    /// <summary>The <see cref="PushRegistration.Provider"/> value it serves: <c>fcm</c> or <c>apns</c>.</summary>
    string Name { get; }

    Task<SendResult> SendAsync(PushMessage message, CancellationToken ct = default);
}

/// <summary>One email to the user: the notification rendered with its category's template.</summary>
/// <param name="Locale">The user's locale (BCP 47), if known; templates may use it.</param>
public sealed record EmailMessage(string To, string UserId, string? Locale, NotificationPayload Notification);

/// <summary>The email channel (SMTP through MailKit). One attempt per call, classified as for push.</summary>
public interface IEmailSender
{
    Task<SendResult> SendAsync(EmailMessage message, CancellationToken ct = default);
}
