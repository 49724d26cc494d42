namespace Notify.Client.Apps;

/// <summary>The body of <c>POST /v1/users/{userId}/devices</c>.</summary>
public sealed record DeviceRegistration
{
    /// <summary>The kind of device; rules select on it.</summary>
    public required Platform Platform { get; init; }

    /// <summary>A display name (<c>Ana's iPhone</c>), shown in traces and consoles.</summary>
    public string? Name { get; init; }

    /// <summary>Where FCM or APNs can reach the device; without it the device only gets in-app deliveries.</summary>
    public PushRegistration? Push { get; init; }
}

/// <summary>A device's push registration, as the app sends it.</summary>
public sealed record PushRegistration
{
    /// <summary><c>fcm</c> or <c>apns</c>.</summary>
    public required string Provider { get; init; }

    /// <summary>The FCM registration token or the APNs device token.</summary>
    public required string Token { get; init; }

    /// <summary>APNs only: the topic (usually the bundle id); null uses the server's configured topic.</summary>
    public string? Topic { get; init; }

    /// <summary>APNs only: <c>production</c> or <c>development</c>.</summary>
    public string? Environment { get; init; }
}

/// <summary>A registered device and the credential the device uses from now on.</summary>
public sealed record DeviceRegistrationResult
{
    /// <summary>The new device's id.</summary>
    public string DeviceId { get; init; } = "";

    /// <summary>The device's bearer token for <see cref="Devices.NotifyDeviceClient"/>. The server keeps only a hash:
    /// hand it to the device and do not log it. Deleting the device revokes it.</summary>
    public string DeviceToken { get; init; } = "";
}

/// <summary>The body of <c>PATCH /v1/devices/{deviceId}</c>: only the fields set are changed.</summary>
public sealed record DeviceUpdate
{
    /// <summary>A new display name; null keeps the current one.</summary>
    public string? Name { get; init; }

    /// <summary>A new push registration (for example after the OS rotated the token); null keeps the current one.</summary>
    public PushRegistration? Push { get; init; }
}
