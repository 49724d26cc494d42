using System.Net;

namespace Notify.Client.Apps;

/// <summary>
/// Server-to-server client for an app: send notifications, read them back, and manage users and devices.
/// Authenticates every request with the app key (<c>Authorization: Bearer</c>).
/// </summary>
/// <remarks>
/// Thread-safe; create one per app key and reuse it. Every failure the server reports becomes a
/// <see cref="NotifyApiException"/> whose <see cref="NotifyApiException.Code"/> is stable across versions.
/// The SDK does not retry: <c>POST /v1/notify</c> is only safe to retry with an
/// <see cref="NotifyRequest.IdempotencyKey"/>, so the caller decides.
/// </remarks>
public sealed class NotifyAppClient : IDisposable
{
    private readonly NotifyHttp _http;
    private readonly HttpClient? _ownedHttpClient;

    /// <summary>Uses a caller-owned <see cref="HttpClient"/> (for example from <c>IHttpClientFactory</c>) whose
    /// <see cref="HttpClient.BaseAddress"/> is the Notify server. The client is not modified, and not disposed by
    /// <see cref="Dispose"/>.</summary>
    public NotifyAppClient(HttpClient httpClient, string appKey)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentException.ThrowIfNullOrWhiteSpace(appKey);
        var baseAddress = httpClient.BaseAddress ?? throw new ArgumentException(
            "Set HttpClient.BaseAddress to the Notify server, such as https://notify.example.com/.", nameof(httpClient));
        _http = new NotifyHttp(httpClient, baseAddress, appKey);
    }

    /// <summary>Creates and owns an <see cref="HttpClient"/> for <paramref name="baseUri"/>; <see cref="Dispose"/> releases it.</summary>
    public NotifyAppClient(Uri baseUri, string appKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(appKey);
        var normalized = NotifyHttp.NormalizeBase(baseUri);
        _ownedHttpClient = new HttpClient { BaseAddress = normalized };
        _http = new NotifyHttp(_ownedHttpClient, normalized, appKey);
    }

    /// <summary>Sends one event for one user (<c>POST /v1/notify</c>). Returns once the server has stored it durably.</summary>
    /// <returns>The decision; <see cref="NotifyResponse.IsReplay"/> is true when the idempotency key was seen
    /// before and nothing new was sent.</returns>
    /// <exception cref="NotifyApiException">The server refused the request (unknown user, invalid field, bad key).</exception>
    public async Task<NotifyResponse> NotifyAsync(NotifyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await _http.SendAsync(HttpMethod.Post, _http.Resolve("v1", "notify"), request, cancellationToken)
            .ConfigureAwait(false);
        var body = await NotifyHttp.ReadAsync<NotifyResponse>(response, cancellationToken).ConfigureAwait(false);
        return body with { IsReplay = response.StatusCode == HttpStatusCode.OK };
    }

    /// <summary>Reads a notification with its deliveries and decision trace (<c>GET /v1/notifications/{id}</c>).</summary>
    /// <exception cref="NotifyApiException">404 when the notification does not exist or belongs to another app.</exception>
    public Task<NotificationDetails> GetNotificationAsync(string notificationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notificationId);
        return _http.SendAsync<NotificationDetails>(HttpMethod.Get, _http.Resolve("v1", "notifications", notificationId),
            null, cancellationToken);
    }

    /// <summary>Creates the user or replaces their email, time zone and locale (<c>PUT /v1/users/{id}</c>).</summary>
    /// <exception cref="NotifyApiException">For example code <c>invalid-time-zone</c> when the zone is not an IANA id.</exception>
    public Task<NotifyUser> PutUserAsync(string userId, UserRequest user, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentNullException.ThrowIfNull(user);
        return _http.SendAsync<NotifyUser>(HttpMethod.Put, _http.Resolve("v1", "users", userId), user, cancellationToken);
    }

    /// <summary>Reads a user with their devices and each device's current state (<c>GET /v1/users/{id}</c>).</summary>
    /// <exception cref="NotifyApiException">404 when the user does not exist in this app.</exception>
    public Task<NotifyUser> GetUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return _http.SendAsync<NotifyUser>(HttpMethod.Get, _http.Resolve("v1", "users", userId), null, cancellationToken);
    }

    /// <summary>Replaces the user's quiet hours (<c>PUT /v1/users/{id}/quiet-hours</c>).</summary>
    public Task PutQuietHoursAsync(string userId, QuietHours quietHours, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentNullException.ThrowIfNull(quietHours);
        return _http.SendAndForgetBodyAsync(HttpMethod.Put, _http.Resolve("v1", "users", userId, "quiet-hours"),
            quietHours, cancellationToken);
    }

    /// <summary>Replaces the user's per-category preferences (<c>PUT /v1/users/{id}/preferences</c>).</summary>
    public Task PutPreferencesAsync(string userId, NotificationPreferences preferences,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentNullException.ThrowIfNull(preferences);
        return _http.SendAndForgetBodyAsync(HttpMethod.Put, _http.Resolve("v1", "users", userId, "preferences"),
            preferences, cancellationToken);
    }

    /// <summary>Registers a device for a user (<c>POST /v1/users/{id}/devices</c>).</summary>
    /// <returns>The device id and the device token to hand to <see cref="Devices.NotifyDeviceClient"/>; the token
    /// cannot be read again.</returns>
    public Task<DeviceRegistrationResult> RegisterDeviceAsync(string userId, DeviceRegistration device,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentNullException.ThrowIfNull(device);
        return _http.SendAsync<DeviceRegistrationResult>(HttpMethod.Post, _http.Resolve("v1", "users", userId, "devices"),
            device, cancellationToken);
    }

    /// <summary>Changes a device's name or push registration (<c>PATCH /v1/devices/{id}</c>).</summary>
    public Task UpdateDeviceAsync(string deviceId, DeviceUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        ArgumentNullException.ThrowIfNull(update);
        return _http.SendAndForgetBodyAsync(HttpMethod.Patch, _http.Resolve("v1", "devices", deviceId), update,
            cancellationToken);
    }

    /// <summary>Forgets a device and revokes its token (<c>DELETE /v1/devices/{id}</c>); its open realtime
    /// connection is refused on its next reconnect.</summary>
    public Task DeleteDeviceAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        return _http.SendAndForgetBodyAsync(HttpMethod.Delete, _http.Resolve("v1", "devices", deviceId), null,
            cancellationToken);
    }

    /// <summary>Releases the <see cref="HttpClient"/> if this instance created it.</summary>
    public void Dispose() => _ownedHttpClient?.Dispose();
}
