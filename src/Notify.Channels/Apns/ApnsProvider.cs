using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Notify.Engine.Channels;

namespace Notify.Channels.Apns;

/// <summary>
/// Pushes to Apple devices through the APNs provider API (HTTP/2, token authentication). One attempt per call,
/// classified; the dispatcher retries. Keep one instance for the process: it holds the HTTP/2 connections (Apple
/// treats rapidly opened and closed connections as abuse) and the provider token (Apple refuses refreshing it more
/// often than every 20 minutes). Thread-safe.
/// </summary>
public sealed class ApnsProvider : IPushProvider, IDisposable
{
    private readonly ApnsOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<ApnsProvider> _logger;
    private readonly HttpClient _http;
    private readonly ApnsProviderToken _token;

    /// <param name="options">Validated settings; the constructor throws with every problem if they are not valid.</param>
    /// <param name="timeProvider">Times the token's lifetime and each send's timeout.</param>
    /// <param name="handler">The HTTP handler to send through (default: one <see cref="SocketsHttpHandler"/> made for
    /// APNs by <see cref="CreateHandler"/>, owned and disposed by this provider; a given handler is not disposed).</param>
    public ApnsProvider(ApnsOptions options, TimeProvider timeProvider, ILogger<ApnsProvider> logger, HttpMessageHandler? handler = null)
    {
        var problems = options.Validate();
        if (problems.Count > 0) throw new InvalidOperationException("APNs is misconfigured: " + string.Join(" ", problems));
        _options = options;
        _clock = timeProvider;
        _logger = logger;
        var key = ApnsOptions.TryLoadKey(options.PrivateKeyFile!, out var error)
            ?? throw new InvalidOperationException($"{ApnsOptions.Section}:PrivateKeyFile: {options.PrivateKeyFile} {error}");
        _token = new ApnsProviderToken(key, options.KeyId!, options.TeamId!, options.TokenLifetime, timeProvider);
        _token.Renewed += issuedAt => ApnsLog.TokenSigned(_logger, issuedAt);
        _http = new HttpClient(handler ?? CreateHandler(options), disposeHandler: handler is null)
        {
            // Each send has its own timeout on the injected clock (see SendOnceAsync).
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
    }

    public string Name => "apns";

    /// <summary>The provider token cache (tests count how many were signed).</summary>
    internal ApnsProviderToken ProviderToken => _token;

    /// <summary>The handler APNs wants: connections kept open and reused (one per process, pinged while idle so
    /// middleboxes keep them), more HTTP/2 connections only when one's concurrent streams are all in use, and a
    /// bounded lifetime so DNS changes on Apple's side are picked up.</summary>
    public static SocketsHttpHandler CreateHandler(ApnsOptions options) => new()
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionLifetime = TimeSpan.FromHours(1),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(15),
        KeepAlivePingDelay = TimeSpan.FromMinutes(1),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        ConnectTimeout = options.Timeout,
    };

    /// <summary>The base URI a registration's pushes go to (see <see cref="ApnsOptions.Endpoint"/>).</summary>
    public Uri EndpointFor(Engine.Model.PushRegistration target) =>
        _options.Endpoint ?? (target.Environment is { } env &&
            (env.Equals("sandbox", StringComparison.OrdinalIgnoreCase) || env.Equals("development", StringComparison.OrdinalIgnoreCase))
                ? ApnsOptions.SandboxEndpoint
                : ApnsOptions.ProductionEndpoint);

    public async Task<SendResult> SendAsync(PushMessage message, CancellationToken ct = default)
    {
        var notificationId = message.Notification.Id;
        var topic = string.IsNullOrWhiteSpace(message.Target.Topic) ? _options.Topic : message.Target.Topic;
        if (string.IsNullOrWhiteSpace(topic))
            return RefuseLocally(SendOutcome.Misconfigured, notificationId,
                $"MissingTopic: the registration has no topic and {ApnsOptions.Section}:Topic is not set; set it to the app's bundle id.");

        var parts = ApnsFormatter.Format(message);
        if (parts.CollapseId is { } collapseId && Encoding.UTF8.GetByteCount(collapseId) > ApnsFormatter.MaxCollapseIdBytes)
            return RefuseLocally(SendOutcome.Rejected, notificationId,
                $"BadCollapseId: the collapse key is {Encoding.UTF8.GetByteCount(collapseId)} bytes; APNs allows {ApnsFormatter.MaxCollapseIdBytes}.");
        if (parts.Payload.Length > ApnsFormatter.MaxPayloadBytes)
            return RefuseLocally(SendOutcome.Rejected, notificationId,
                $"PayloadTooLarge: the payload is {parts.Payload.Length} bytes; APNs allows {ApnsFormatter.MaxPayloadBytes}. Shorten the title, body or data.");

        var uri = new Uri(EndpointFor(message.Target), "/3/device/" + Uri.EscapeDataString(message.Target.Token));
        var apnsId = Guid.NewGuid().ToString("D");
        var jwt = _token.Current();
        var reply = await SendOnceAsync(uri, topic, apnsId, parts, jwt, ct).ConfigureAwait(false);
        if (reply is { Status: 403, Reason: "ExpiredProviderToken" })
        {
            ApnsLog.TokenExpired(_logger, notificationId);
            reply = await SendOnceAsync(uri, topic, apnsId, parts, _token.Renew(jwt), ct).ConfigureAwait(false);
        }

        var result = Classify(reply);
        switch (result.Outcome)
        {
            case SendOutcome.Sent:
                ApnsLog.Sent(_logger, notificationId, message.Kind.ToString(), result.MessageId);
                break;
            case SendOutcome.Misconfigured:
                ApnsLog.Misconfigured(_logger, result.Status, result.Reason, notificationId);
                break;
            case SendOutcome.Transient when reply.Status is null:
                ApnsLog.NoReply(_logger, notificationId, result.Reason ?? "", reply.Error);
                break;
            default:
                ApnsLog.Failed(_logger, result.Status, result.Reason, notificationId, result.Outcome.ToString());
                break;
        }
        return result;
    }

    /// <summary>What one request got: a status and APNs reason, or no reply at all (<see cref="Error"/>).</summary>
    internal readonly record struct Reply(int? Status, string? Reason, TimeSpan? RetryAfter = null, string? ApnsId = null, Exception? Error = null);

    private async Task<Reply> SendOnceAsync(Uri uri, string topic, string apnsId, ApnsRequestParts parts, string jwt, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_options.Timeout, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            // Exact HTTP/2: APNs speaks nothing else, and over http:// this is prior knowledge (h2c).
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(parts.Payload),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("authorization", "bearer " + jwt);
        request.Headers.TryAddWithoutValidation("apns-topic", topic);
        request.Headers.TryAddWithoutValidation("apns-push-type", parts.PushType);
        request.Headers.TryAddWithoutValidation("apns-priority", parts.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("apns-expiration", parts.Expiration.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("apns-id", apnsId);
        if (parts.CollapseId is not null) request.Headers.TryAddWithoutValidation("apns-collapse-id", parts.CollapseId);

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var replyId = response.Headers.TryGetValues("apns-id", out var ids) ? ids.FirstOrDefault() : null;
            if (response.IsSuccessStatusCode) return new Reply(status, null, ApnsId: replyId ?? apnsId);
            var body = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
            return new Reply(status, ReasonOf(body) ?? response.ReasonPhrase, RetryAfter(response.Headers.RetryAfter), replyId);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            return new Reply(null, $"Timeout: no reply within {_options.Timeout}", Error: e);
        }
        catch (HttpRequestException e)
        {
            return new Reply(null, $"ConnectionFailed: {e.Message}", Error: e);
        }
        catch (IOException e)
        {
            return new Reply(null, $"ConnectionFailed: {e.Message}", Error: e);
        }
    }

    private static string? ReasonOf(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                    ? reason.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > _clock.GetUtcNow() ? date - _clock.GetUtcNow() : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>APNs' reply as the dispatcher's outcome (see docs/channels-apns.md for the table).</summary>
    internal static SendResult Classify(Reply reply)
    {
        var outcome = reply switch
        {
            { Status: null } => SendOutcome.Transient,
            { Status: >= 200 and < 300 } => SendOutcome.Sent,
            { Status: 410 } => SendOutcome.TokenInvalid,
            { Status: 400, Reason: "BadDeviceToken" or "DeviceTokenNotForTopic" or "MissingDeviceToken" } => SendOutcome.TokenInvalid,
            { Status: 403 } => SendOutcome.Misconfigured,
            // BadPath, MethodNotAllowed: the endpoint is not APNs (or this adapter is broken); no message will pass.
            { Status: 404 or 405 } => SendOutcome.Misconfigured,
            { Status: 429 or >= 500 } => SendOutcome.Transient,
            _ => SendOutcome.Rejected,
        };
        return outcome == SendOutcome.Sent
            ? SendResult.Ok("apns", reply.Status, reply.ApnsId)
            : new SendResult(outcome, "apns", reply.Status, reply.Reason,
                outcome == SendOutcome.Transient ? reply.RetryAfter : null, reply.ApnsId);
    }

    private SendResult RefuseLocally(SendOutcome outcome, string notificationId, string reason)
    {
        ApnsLog.RefusedLocally(_logger, notificationId, reason);
        return new SendResult(outcome, "apns", null, reason);
    }

    public void Dispose()
    {
        _http.Dispose();
        _token.Dispose();
    }
}
