namespace Notify.Engine.Model;

/// <summary>A registered device of a user.</summary>
/// <param name="TokenHash">SHA-256 (hex) of the device token; the token itself is never stored.</param>
public sealed record Device(string Id, string AppId, string UserId, Platform Platform, string? Name,
    PushRegistration? Push, string TokenHash, DateTimeOffset CreatedAt);

/// <summary>Where a push provider can reach the device; used by the push channel.</summary>
public sealed record PushRegistration(string Provider, string Token, string? Topic, string? Environment);

/// <summary>The battery as the device last reported it.</summary>
/// <param name="Level">0.0 to 1.0.</param>
public sealed record BatteryState(double Level, bool Charging, bool LowPower);

public sealed record ConnectivityState(ConnectivityType Type, bool Metered);

public sealed record GeoLocation(double Lat, double Lon, double? Accuracy);

/// <summary>
/// What the engine knows about a device right now. Kept in memory and written behind to the store,
/// so a device may report often without costing a database write each time.
/// </summary>
/// <param name="Online">True while the device holds a realtime connection.</param>
/// <param name="LastActiveAt">When the device last reported <see cref="Presence.Active"/>; the
/// <c>attention</c> target picks the active device with the latest value.</param>
/// <param name="LastSeenAt">When the device last said anything (message, heartbeat, report).</param>
public sealed record DeviceState(bool Online, Presence? Presence, bool? Foreground, BatteryState? Battery,
    ConnectivityState? Connectivity, GeoLocation? Location, DateTimeOffset? LastActiveAt, DateTimeOffset? LastSeenAt)
{
    public static readonly DeviceState Unknown = new(false, null, null, null, null, null, null, null);
}

/// <summary>A device with its current state: what the decision looks at.</summary>
public sealed record DeviceSnapshot(Device Device, DeviceState State);
