using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Notify.Engine.Channels;

namespace Notify.Channels.Fcm;

/// <summary>
/// Push through Firebase Cloud Messaging, HTTP v1 API: one POST to
/// <c>{Endpoint}/v1/projects/{projectId}/messages:send</c> per message, at most
/// <see cref="FcmOptions.MaxConcurrency"/> at once, with an OAuth2 token from the service account.
/// One attempt per call, classified (docs/channels-fcm.md); the only retry here is a single resend with a fresh
/// access token when FCM answers 401 to the cached one.
/// </summary>
public sealed partial class FcmProvider : IPushProvider, IDisposable
{
    public const string ProviderName = "fcm";

    private readonly TimeProvider _time;
    private readonly ILogger<FcmProvider> _logger;
    private readonly TimeSpan _timeout;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _slots;
    private readonly FcmAccessTokens _tokens;
    private readonly Uri _sendUri;

    /// <param name="options">Checked with <see cref="FcmOptions.Validate"/>; the constructor throws when it has problems.</param>
    /// <param name="handler">Carries the send and the token requests; the caller keeps ownership. Default: a
    /// pooled <see cref="SocketsHttpHandler"/> speaking HTTP/2 to Google.</param>
    public FcmProvider(FcmOptions options, TimeProvider time, ILogger<FcmProvider> logger, HttpMessageHandler? handler = null)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
            throw new InvalidOperationException("FCM is misconfigured: " + string.Join(" ", problems));
        _time = time;
        _logger = logger;
        _timeout = options.Timeout;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _tokens = new FcmAccessTokens(File.ReadAllText(options.ServiceAccountFile!), time, handler);
        ProjectId = string.IsNullOrWhiteSpace(options.ProjectId) ? _tokens.ProjectId! : options.ProjectId;
        _sendUri = new Uri(options.Endpoint, $"/v1/projects/{Uri.EscapeDataString(ProjectId)}/messages:send");
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionLifetime = TimeSpan.FromMinutes(10), // follow Google's DNS changes
            }, disposeHandler: true)
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan; // ours runs on the injected clock
    }

    public string Name => ProviderName;

    /// <summary>The Firebase project messages go to.</summary>
    public string ProjectId { get; }

    public async Task<SendResult> SendAsync(PushMessage message, CancellationToken ct = default)
    {
        var request = FcmMessageBuilder.Build(message, _time.GetUtcNow());
        if (request.Rejection is { } rejection)
        {
            LogRejectedLocally(message.Notification.Id, rejection, request.PayloadBytes);
            return new SendResult(SendOutcome.Rejected, ProviderName, null, rejection);
        }

        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(_timeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            SendResult result;
            try
            {
                result = await SendWithTokenAsync(request.Body!, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                result = new SendResult(SendOutcome.Transient, ProviderName, null, $"timeout: no reply within {_timeout}");
            }
            catch (HttpRequestException e)
            {
                result = new SendResult(SendOutcome.Transient, ProviderName, null, $"connection: {e.Message}");
            }
            Log(message, result);
            return result;
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<SendResult> SendWithTokenAsync(byte[] body, CancellationToken ct)
    {
        var token = await _tokens.GetAsync(ct).ConfigureAwait(false);
        if (token.Failure is { } failure) return failure;

        var (status, reply, retryAfter) = await PostAsync(body, token.Token!, ct).ConfigureAwait(false);
        if (status == 200) return Sent(reply);

        var error = FcmError.Parse(status, reply);
        if (FcmReplyClassifier.IsStaleAccessToken(status, error))
        {
            LogStaleAccessToken();
            token = await _tokens.RefreshAsync(ct).ConfigureAwait(false);
            if (token.Failure is { } refreshFailure) return refreshFailure;
            (status, reply, retryAfter) = await PostAsync(body, token.Token!, ct).ConfigureAwait(false);
            if (status == 200) return Sent(reply);
            error = FcmError.Parse(status, reply);
            if (FcmReplyClassifier.IsStaleAccessToken(status, error))
                return new SendResult(SendOutcome.Misconfigured, ProviderName, status,
                    $"UNAUTHENTICATED: FCM refused a freshly issued access token too: {error.Message}");
        }
        return FcmReplyClassifier.Classify(status, error, retryAfter, _time.GetUtcNow());
    }

    private async Task<(int Status, string Body, RetryConditionHeaderValue? RetryAfter)> PostAsync(byte[] body, string accessToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _sendUri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json", "utf-8");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return ((int)response.StatusCode, text, response.Headers.RetryAfter);
    }

    private static SendResult Sent(string reply)
    {
        string? name = null;
        try
        {
            using var doc = JsonDocument.Parse(reply);
            if (doc.RootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String) name = n.GetString();
        }
        catch (JsonException)
        {
            // Accepted all the same; only the id is missing.
        }
        return SendResult.Ok(ProviderName, 200, name);
    }

    private void Log(PushMessage message, SendResult result)
    {
        var id = message.Notification.Id;
        switch (result.Outcome)
        {
            case SendOutcome.Sent: LogSent(id, result.MessageId); break;
            case SendOutcome.Misconfigured: LogMisconfigured(id, result.Status, result.Reason); break;
            default: LogNotSent(id, result.Outcome, result.Status, result.Reason, result.RetryAfter); break;
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _slots.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "FCM accepted notification {NotificationId} as {MessageId}")]
    private partial void LogSent(string notificationId, string? messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "FCM did not send notification {NotificationId}: {Outcome} {Status} {Reason} (retry after {RetryAfter})")]
    private partial void LogNotSent(string notificationId, SendOutcome outcome, int? status, string? reason, TimeSpan? retryAfter);

    [LoggerMessage(Level = LogLevel.Error, Message = "FCM is misconfigured (notification {NotificationId}): {Status} {Reason}")]
    private partial void LogMisconfigured(string notificationId, int? status, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "FCM notification {NotificationId} not sent: {Reason} ({PayloadBytes} bytes counted)")]
    private partial void LogRejectedLocally(string notificationId, string reason, int payloadBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "FCM refused the cached access token (401); fetching a new one and sending once more")]
    private partial void LogStaleAccessToken();
}
