using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Notify.Loopback.Fcm;

/// <summary>One send request the server received, whatever it answered.</summary>
/// <param name="Message">The parsed <c>message</c> object, null when the body was not JSON.</param>
/// <param name="Token">The bearer token presented.</param>
public sealed record FcmReceivedRequest(string ProjectId, IReadOnlyDictionary<string, string> Headers, string Body, JsonObject? Message,
    string? Token, DateTimeOffset ReceivedAt, int Status, string ReplyBody)
{
    /// <summary><c>message.token</c>: the device the message was for.</summary>
    public string? DeviceToken => Message?["token"]?.GetValue<string>();
}

/// <summary>
/// FCM on 127.0.0.1 for tests and benchmarks: Google's OAuth token endpoint (<c>POST /token</c>) and the HTTP v1
/// send endpoint (<c>POST /v1/projects/{id}/messages:send</c>) in one Kestrel server. It checks what FCM checks
/// (a bearer token it issued and that has not expired, the project, the message: see
/// <see cref="FcmMessageValidator"/>) and answers with FCM's exact error bodies; records everything; and can be
/// scripted per device token, for the next N requests, or into an outage; it can also hold requests open to count
/// how many are in flight, until told to let them go.
/// </summary>
public sealed class FcmLoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly FcmTokenEndpoint _tokens;
    private readonly ConcurrentQueue<FcmReceivedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, FcmReply> _byToken = new();
    private readonly ConcurrentQueue<FcmReply> _next = new();
    private readonly HashSet<string> _projects = [];
    private readonly Lock _lock = new();
    private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waiters = [];
    private volatile FcmReply? _outage;
    private TaskCompletionSource? _hold;
    private int _inFlight, _maxInFlight, _arrived, _messageCounter;

    private FcmLoopbackServer(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
        _tokens = new FcmTokenEndpoint(time, () => TokenUri);
        _tokens.Received += Notify;
    }

    /// <summary>Starts a server on 127.0.0.1 and a free port.</summary>
    /// <param name="time">The server's clock for token expiry and JWT times; pass the test's fake clock to make
    /// access tokens expire when it advances.</param>
    public static async Task<FcmLoopbackServer> StartAsync(TimeProvider? time = null, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FcmLoopbackServer(app, time ?? TimeProvider.System);
        app.MapPost("/token", server._tokens.HandleAsync);
        app.MapPost("/v1/projects/{projectId}/messages:send", server.HandleSendAsync);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address);
        return server;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:41234/</c>; use it as <c>Channels:Fcm:Endpoint</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The token endpoint, written as <c>token_uri</c> into service accounts.</summary>
    public Uri TokenUri => new(BaseUri, "/token");

    /// <summary>How long issued access tokens live (<c>expires_in</c>). Default 3599 s, as Google issues them.</summary>
    public TimeSpan AccessTokenLifetime { get => _tokens.Lifetime; set => _tokens.Lifetime = value; }

    /// <summary>Writes a service-account key for a project into <paramref name="folder"/> and accepts it from now on.</summary>
    public FcmServiceAccount CreateServiceAccount(string folder, string projectId = "notify-loopback")
    {
        var account = FcmServiceAccount.Create(folder, TokenUri, projectId);
        _tokens.Register(account);
        lock (_lock) _projects.Add(projectId);
        return account;
    }

    // ---- recording ----

    /// <summary>Every send request so far, in arrival order of completion.</summary>
    public IReadOnlyList<FcmReceivedRequest> Requests => [.. _requests];

    /// <summary>Every token request so far.</summary>
    public IReadOnlyList<FcmTokenRequest> TokenRequests => _tokens.Requests;

    /// <summary>Send requests currently inside the server (held ones included).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most send requests that were inside the server at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Waits until <paramref name="count"/> send requests have been answered; the timeout is only a deadline.</summary>
    public async Task<IReadOnlyList<FcmReceivedRequest>> WaitForRequestsAsync(int count, TimeSpan? timeout = null)
    {
        await WaitUntilAsync(() => _requests.Count >= count, timeout, () => $"{count} send requests (got {_requests.Count})");
        return Requests;
    }

    /// <summary>Waits until <paramref name="count"/> token requests have been answered.</summary>
    public Task WaitForTokenRequestsAsync(int count, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => _tokens.Requests.Count >= count, timeout, () => $"{count} token requests (got {_tokens.Requests.Count})");

    /// <summary>Waits until <paramref name="count"/> send requests have arrived (they may still be held).</summary>
    public Task WaitForArrivalsAsync(int count, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Volatile.Read(ref _arrived) >= count, timeout, () => $"{count} arrivals (got {_arrived})");

    // ---- scripting ----

    /// <summary>Every send to <paramref name="deviceToken"/> gets <paramref name="reply"/> (after validation).</summary>
    public void ReplyForToken(string deviceToken, FcmReply reply) => _byToken[deviceToken] = reply;

    /// <summary>The next <paramref name="count"/> authenticated send requests get <paramref name="reply"/>, before validation.</summary>
    public void ReplyToNext(int count, FcmReply reply)
    {
        for (var i = 0; i < count; i++) _next.Enqueue(reply);
    }

    /// <summary>The next <paramref name="count"/> token requests fail with this OAuth error
    /// (e.g. 400 <c>invalid_grant</c> "Invalid JWT Signature.").</summary>
    public void FailTokenRequests(int count, int status, string error, string description) => _tokens.FailNext(count, status, error, description);

    /// <summary>Every send answers 503 UNAVAILABLE with this <c>Retry-After</c> until <see cref="EndOutage"/>.</summary>
    public void StartOutage(string retryAfter = "30") => _outage = FcmReply.Unavailable(retryAfter);

    public void EndOutage() => _outage = null;

    /// <summary>Forgets every access token issued so far: the next send with one gets 401 UNAUTHENTICATED.</summary>
    public void RevokeAccessTokens() => _tokens.RevokeAll();

    /// <summary>Send requests wait inside the server from now on, until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_lock) _hold ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Lets held requests (and later ones) through.</summary>
    public void Release()
    {
        TaskCompletionSource? hold;
        lock (_lock) (hold, _hold) = (_hold, null);
        hold?.TrySetResult();
    }

    private async Task HandleSendAsync(HttpContext context, string projectId)
    {
        var now = _time.GetUtcNow();
        var inFlight = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, inFlight);
        Interlocked.Increment(ref _arrived);
        Notify();
        var counted = true;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            Task? hold;
            lock (_lock) hold = _hold?.Task;
            if (hold is not null) await hold.WaitAsync(context.RequestAborted);

            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var auth = headers.GetValueOrDefault("Authorization");
            var bearer = auth?.StartsWith("Bearer ", StringComparison.Ordinal) == true ? auth["Bearer ".Length..] : null;
            JsonNode? parsed = null;
            try { parsed = JsonNode.Parse(body); } catch (JsonException) { }

            var reply = Decide(context.Request, projectId, bearer, parsed);
            _requests.Enqueue(new FcmReceivedRequest(projectId, headers, body, parsed?["message"] as JsonObject, bearer, now, reply.Status, reply.Body));

            // Out of flight before the client can see the reply, so a client that keeps its own cap is never
            // counted twice here while it sends the next request.
            Interlocked.Decrement(ref _inFlight);
            counted = false;
            Notify();
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = "application/json; charset=UTF-8";
            if (reply.RetryAfter is not null) context.Response.Headers.RetryAfter = reply.RetryAfter;
            foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>()) context.Response.Headers[name] = value;
            await context.Response.WriteAsync(reply.Body, context.RequestAborted);
        }
        finally
        {
            if (counted)
            {
                Interlocked.Decrement(ref _inFlight);
                Notify();
            }
        }
    }

    private FcmReply Decide(HttpRequest request, string projectId, string? bearer, JsonNode? body)
    {
        if (bearer is null || _tokens.Check(bearer) is null) return FcmReply.Unauthenticated();
        bool knownProject;
        lock (_lock) knownProject = _projects.Contains(projectId);
        if (!knownProject) return FcmReply.PermissionDenied(projectId);
        if (_outage is { } outage) return outage;
        if (_next.TryDequeue(out var scripted)) return scripted;
        if (request.ContentType is not { } ct || !ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return FcmReply.InvalidArgument(null, $"Invalid JSON payload received. Content-Type {request.ContentType} is not application/json.");
        if (body is null) return FcmReply.InvalidArgument(null, "Invalid JSON payload received. Unexpected token.", "Invalid JSON payload received. Unexpected token.");
        if (FcmMessageValidator.Validate(body) is { } invalid) return invalid;
        if (body["message"]?["token"]?.GetValue<string>() is { } token && _byToken.TryGetValue(token, out var byToken)) return byToken;
        return FcmReply.Ok(projectId, $"0:{Interlocked.Increment(ref _messageCounter)}%loopback");
    }

    private void Notify()
    {
        lock (_lock)
            for (var i = _waiters.Count - 1; i >= 0; i--)
                if (_waiters[i].Done())
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
    }

    private async Task WaitUntilAsync(Func<bool> done, TimeSpan? timeout, Func<string> what)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock) _waiters.Add((done, signal));
        Notify();
        try
        {
            await signal.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The FCM loopback did not see {what()} in time.");
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
