namespace Notify.Loopback.Apns;

/// <summary>What the loopback APNs does instead of answering normally.</summary>
public enum ApnsReplyAction
{
    /// <summary>Answer with <see cref="ApnsReply.Status"/> and <see cref="ApnsReply.Reason"/>.</summary>
    Respond,
    /// <summary>Never answer: the request waits until the client gives up (a timeout) or the server stops.</summary>
    Hang,
    /// <summary>Reset the stream without an answer, as a dropped connection looks to the client.</summary>
    Reset,
}

/// <summary>A scripted APNs reply. The factories give Apple's documented errors with their exact status and
/// <c>reason</c>; <see cref="Error"/> makes any other.</summary>
/// <param name="Timestamp">For 410: when the token stopped being valid (default: the server's clock now).</param>
public sealed record ApnsReply(int Status, string? Reason, TimeSpan? RetryAfter = null, DateTimeOffset? Timestamp = null,
    ApnsReplyAction Action = ApnsReplyAction.Respond)
{
    public static ApnsReply Ok { get; } = new(200, null);

    /// <summary>410: the token is no longer active for the topic.</summary>
    public static ApnsReply Unregistered(DateTimeOffset? timestamp = null) => new(410, "Unregistered", Timestamp: timestamp);

    /// <summary>410 <c>ExpiredToken</c>: the device token has expired.</summary>
    public static ApnsReply ExpiredToken { get; } = new(410, "ExpiredToken");

    public static ApnsReply BadDeviceToken { get; } = new(400, "BadDeviceToken");
    public static ApnsReply DeviceTokenNotForTopic { get; } = new(400, "DeviceTokenNotForTopic");
    public static ApnsReply BadCollapseId { get; } = new(400, "BadCollapseId");
    public static ApnsReply TopicDisallowed { get; } = new(400, "TopicDisallowed");
    public static ApnsReply PayloadTooLarge { get; } = new(413, "PayloadTooLarge");
    public static ApnsReply ExpiredProviderToken { get; } = new(403, "ExpiredProviderToken");
    public static ApnsReply InvalidProviderToken { get; } = new(403, "InvalidProviderToken");
    public static ApnsReply TooManyProviderTokenUpdates { get; } = new(429, "TooManyProviderTokenUpdates");
    public static ApnsReply TooManyRequests(TimeSpan? retryAfter = null) => new(429, "TooManyRequests", retryAfter);
    public static ApnsReply InternalServerError(TimeSpan? retryAfter = null) => new(500, "InternalServerError", retryAfter);
    public static ApnsReply ServiceUnavailable(TimeSpan? retryAfter = null) => new(503, "ServiceUnavailable", retryAfter);

    /// <summary>503 <c>Shutdown</c>: the server is shutting down; reconnect.</summary>
    public static ApnsReply Shutdown { get; } = new(503, "Shutdown");

    public static ApnsReply Hang { get; } = new(0, null, Action: ApnsReplyAction.Hang);
    public static ApnsReply Reset { get; } = new(0, null, Action: ApnsReplyAction.Reset);

    public static ApnsReply Error(int status, string reason, TimeSpan? retryAfter = null) => new(status, reason, retryAfter);
}
