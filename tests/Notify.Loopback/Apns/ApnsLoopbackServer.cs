using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Notify.Loopback.Apns;

/// <summary>
/// A stand-in for the APNs provider API on 127.0.0.1: HTTP/2 only, cleartext with prior knowledge (point the adapter's
/// <c>Endpoint</c> at <see cref="BaseUri"/>). It checks each request as Apple does — provider token (signature,
/// key id, team, age), path, required headers, priority for background pushes, collapse id, device token format,
/// payload size — and answers with Apple's status and <c>{"reason": …}</c>. Everything received is recorded; replies
/// can be scripted per device token or for the next N requests.
/// </summary>
public sealed class ApnsLoopbackServer : IAsyncDisposable
{
    /// <summary>Push types APNs knows (<c>apns-push-type</c>).</summary>
    public static readonly IReadOnlySet<string> PushTypes = new HashSet<string>(StringComparer.Ordinal)
        { "alert", "background", "location", "voip", "complication", "fileprovider", "mdm", "liveactivity", "pushtotalk", "widgets", "controls" };

    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly ApnsProviderTokenVerifier _verifier = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<ApnsReceived> _received = [];
    private readonly List<(Func<IReadOnlyList<ApnsReceived>, bool> Done, TaskCompletionSource Signal)> _waiters = [];
    private readonly HashSet<string> _providerTokens = new(StringComparer.Ordinal);
    private readonly HashSet<string> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApnsReply> _byToken = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<ApnsReply> _next = new();
    private readonly HashSet<string> _allowedTopics = new(StringComparer.Ordinal);

    private ApnsLoopbackServer(WebApplication app, TimeProvider clock)
    {
        _app = app;
        _clock = clock;
    }

    /// <summary>Starts a server on 127.0.0.1 on a free port.</summary>
    /// <param name="clock">The server's clock, for the provider token's age and 410 timestamps (default the system's).</param>
    public static async Task<ApnsLoopbackServer> StartAsync(TimeProvider? clock = null, CancellationToken ct = default)
    {
        // The empty builder reads no appsettings or environment, so a test's working directory cannot reconfigure it.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var server = new ApnsLoopbackServer(app, clock ?? TimeProvider.System);
        app.Run(server.HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary><c>http://127.0.0.1:{port}/</c>: the adapter's <c>Endpoint</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<ApnsReceived> Received { get { lock (_gate) return [.. _received]; } }

    /// <summary>The requests answered 200, in arrival order.</summary>
    public IReadOnlyList<ApnsReceived> Delivered { get { lock (_gate) return [.. _received.Where(r => r.Accepted)]; } }

    /// <summary>How many different provider tokens (JWTs) requests carried: 1 while the adapter reuses its token.</summary>
    public int DistinctProviderTokens { get { lock (_gate) return _providerTokens.Count; } }

    /// <summary>How many different connections requests came on: 1 while the adapter reuses its connection.</summary>
    public int ConnectionCount { get { lock (_gate) return _connections.Count; } }

    /// <summary>Trusts a signing key: tokens with this <c>kid</c> must carry <c>iss</c> = <paramref name="teamId"/>
    /// and verify with <paramref name="publicKey"/>.</summary>
    public void TrustKey(string teamId, string keyId, ECDsa publicKey) => _verifier.Trust(teamId, keyId, publicKey);

    /// <summary>Writes a fresh .p8 key into <paramref name="directory"/> and trusts it.</summary>
    public ApnsSigningKey CreateKey(string directory, string teamId = "TEAM123456", string keyId = "KEY1234567")
    {
        var (key, publicKey) = ApnsSigningKey.Create(directory, teamId, keyId);
        TrustKey(teamId, keyId, publicKey);
        return key;
    }

    /// <summary>Restricts topics: once any is allowed, others get 400 <c>TopicDisallowed</c> (by default all pass).</summary>
    public void AllowTopic(string topic)
    {
        lock (_gate) _allowedTopics.Add(topic);
    }

    /// <summary>Every valid request to <paramref name="deviceToken"/> gets <paramref name="reply"/> until
    /// <see cref="ClearScripts"/> (e.g. <see cref="ApnsReply.Unregistered"/> for an uninstalled app).</summary>
    public void ScriptToken(string deviceToken, ApnsReply reply)
    {
        lock (_gate) _byToken[deviceToken] = reply;
    }

    /// <summary>The next <paramref name="count"/> valid requests, whatever their token, get <paramref name="reply"/>
    /// (e.g. three <see cref="ApnsReply.ServiceUnavailable"/> then recovery). Takes precedence over
    /// <see cref="ScriptToken"/>; calls queue up in order.</summary>
    public void ScriptNext(ApnsReply reply, int count = 1)
    {
        lock (_gate)
            for (var i = 0; i < count; i++) _next.Enqueue(reply);
    }

    public void ClearScripts()
    {
        lock (_gate)
        {
            _byToken.Clear();
            _next.Clear();
        }
    }

    /// <summary>A device token in the format APNs issues (32 random bytes, hex).</summary>
    public static string NewDeviceToken() => RandomNumberGenerator.GetHexString(64, lowercase: true);

    /// <summary>Waits until <paramref name="count"/> requests have arrived (answered or not) and returns them all.
    /// <paramref name="timeout"/> (default 10 s) is only a deadline: it throws rather than hang a broken test.</summary>
    public Task<IReadOnlyList<ApnsReceived>> WaitForRequestsAsync(int count, TimeSpan? timeout = null) =>
        WaitAsync(all => all.Count >= count, $"{count} request(s)", timeout);

    /// <summary>Waits until <paramref name="count"/> requests were answered 200 and returns those.</summary>
    public async Task<IReadOnlyList<ApnsReceived>> WaitForDeliveredAsync(int count, TimeSpan? timeout = null)
    {
        await WaitAsync(all => all.Count(r => r.Accepted) >= count, $"{count} delivered notification(s)", timeout).ConfigureAwait(false);
        return Delivered;
    }

    private async Task<IReadOnlyList<ApnsReceived>> WaitAsync(Func<IReadOnlyList<ApnsReceived>, bool> done, string what, TimeSpan? timeout)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (done(_received)) return [.. _received];
            _waiters.Add((done, signal));
        }
        try
        {
            await signal.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The loopback APNs did not see {what} in time; it has {Received.Count} request(s): " +
                string.Join("; ", Received.Select(r => $"{r.Status} {r.Reason}")));
        }
        return Received;
    }

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, http.RequestAborted).ConfigureAwait(false);
        var bytes = body.ToArray();
        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var deviceToken = request.Path.StartsWithSegments("/3/device", out var rest) ? rest.Value?.TrimStart('/') ?? "" : "";
        string? jwt = null;
        if (headers.TryGetValue("authorization", out var authorization) && authorization.StartsWith("bearer ", StringComparison.OrdinalIgnoreCase))
            jwt = authorization["bearer ".Length..].Trim();
        var apnsId = headers.TryGetValue("apns-id", out var givenId) && Guid.TryParse(givenId, out _) ? givenId : Guid.NewGuid().ToString("D").ToUpperInvariant();

        var reply = Check(http, headers, deviceToken, jwt, bytes) ?? Scripted(deviceToken) ?? ApnsReply.Ok;
        var now = _clock.GetUtcNow();
        var received = new ApnsReceived(request.Method, request.Path.Value ?? "", request.Protocol, deviceToken, headers, bytes, jwt,
            http.Connection.Id, now, reply.Action == ApnsReplyAction.Respond ? reply.Status : 0, reply.Reason, apnsId);
        Record(received);

        switch (reply.Action)
        {
            case ApnsReplyAction.Hang:
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token))
                {
                    try { await Task.Delay(Timeout.Infinite, linked.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
                }
                return;
            case ApnsReplyAction.Reset:
                http.Abort();
                return;
        }

        var response = http.Response;
        response.StatusCode = reply.Status;
        response.Headers["apns-id"] = apnsId;
        if (reply.Status == 200) return;
        if (reply.RetryAfter is { } retryAfter)
            response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        response.ContentType = "application/json";
        var error = new Dictionary<string, object?> { ["reason"] = reply.Reason };
        if (reply.Status == 410) error["timestamp"] = (reply.Timestamp ?? now).ToUnixTimeMilliseconds();
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(error), http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Apple's validation, in roughly the order it reports problems; null when the request is acceptable.</summary>
    private ApnsReply? Check(HttpContext http, Dictionary<string, string> headers, string deviceToken, string? jwt, byte[] body)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method)) return ApnsReply.Error(405, "MethodNotAllowed");
        if (!request.Path.StartsWithSegments("/3/device")) return ApnsReply.Error(404, "BadPath");
        if (deviceToken.Length == 0) return ApnsReply.Error(400, "MissingDeviceToken");
        if (deviceToken.Contains('/')) return ApnsReply.Error(404, "BadPath");
        if (request.Headers.Any(h => h.Value.Count > 1)) return ApnsReply.Error(400, "DuplicateHeaders");

        if (!headers.ContainsKey("authorization")) return ApnsReply.Error(403, "MissingProviderToken");
        if (jwt is null || jwt.Length == 0) return ApnsReply.InvalidProviderToken;
        string? tokenProblem = _verifier.Check(jwt, _clock.GetUtcNow());
        lock (_gate) _providerTokens.Add(jwt);
        if (tokenProblem is not null) return ApnsReply.Error(403, tokenProblem);

        if (!headers.TryGetValue("apns-topic", out var topic) || topic.Length == 0) return ApnsReply.Error(400, "MissingTopic");
        lock (_gate)
            if (_allowedTopics.Count > 0 && !_allowedTopics.Contains(topic)) return ApnsReply.TopicDisallowed;
        if (!headers.TryGetValue("apns-push-type", out var pushType) || !PushTypes.Contains(pushType))
            return ApnsReply.Error(400, "InvalidPushType");
        var priority = 10;
        if (headers.TryGetValue("apns-priority", out var priorityText)
            && (!int.TryParse(priorityText, NumberStyles.None, CultureInfo.InvariantCulture, out priority) || priority is not (1 or 5 or 10)))
            return ApnsReply.Error(400, "BadPriority");
        // Background pushes must be power-considerate; the default priority is 10, so 5 must be explicit.
        if (pushType == "background" && priority != 5) return ApnsReply.Error(400, "BadPriority");
        if (headers.TryGetValue("apns-expiration", out var expiration)
            && !long.TryParse(expiration, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            return ApnsReply.Error(400, "BadExpirationDate");
        if (headers.TryGetValue("apns-id", out var apnsId) && !Guid.TryParseExact(apnsId, "D", out _))
            return ApnsReply.Error(400, "BadMessageId");
        if (headers.TryGetValue("apns-collapse-id", out var collapseId) && Encoding.UTF8.GetByteCount(collapseId) > 64)
            return ApnsReply.BadCollapseId;
        if (!IsDeviceToken(deviceToken)) return ApnsReply.BadDeviceToken;

        if (body.Length == 0) return ApnsReply.Error(400, "PayloadEmpty");
        if (body.Length > 4096) return ApnsReply.PayloadTooLarge;
        try
        {
            using var json = JsonDocument.Parse(body);
            // Apple documents no reason for a body that is not a JSON object with an "aps" dictionary (it drops such
            // notifications); the loopback refuses it loudly so a broken formatter fails its tests.
            if (json.RootElement.ValueKind != JsonValueKind.Object
                || !json.RootElement.TryGetProperty("aps", out var aps) || aps.ValueKind != JsonValueKind.Object)
                return ApnsReply.Error(400, "BadPayload");
        }
        catch (JsonException)
        {
            return ApnsReply.Error(400, "BadPayload");
        }
        return null;
    }

    /// <summary>Device tokens are hex: 32 bytes today, longer ones announced, so even-length hex of 64–200 digits.</summary>
    private static bool IsDeviceToken(string token) =>
        token.Length is >= 64 and <= 200 && token.Length % 2 == 0 && token.All(char.IsAsciiHexDigit);

    private ApnsReply? Scripted(string deviceToken)
    {
        lock (_gate)
        {
            if (_next.TryDequeue(out var next)) return next;
            return _byToken.TryGetValue(deviceToken, out var byToken) ? byToken : null;
        }
    }

    private void Record(ApnsReceived received)
    {
        List<TaskCompletionSource> ready = [];
        lock (_gate)
        {
            _received.Add(received);
            _connections.Add(received.ConnectionId);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Done(_received)) continue;
                ready.Add(_waiters[i].Signal);
                _waiters.RemoveAt(i);
            }
        }
        foreach (var signal in ready) signal.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
