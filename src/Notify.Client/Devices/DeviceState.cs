namespace Notify.Client.Devices;

/// <summary>What a device reports about itself: the body of <c>POST /v1/devices/{id}/state</c> and of the
/// realtime <c>state</c> message. Only the fields set are sent; the others keep their last reported value.</summary>
/// <remarks>Reports are cheap (the server keeps state in memory and writes it behind), so report on every
/// change of presence or foreground: the <c>attention</c> rules pick the device the user is looking at.</remarks>
public sealed record DeviceStateReport
{
    /// <summary>Whether the user is paying attention to the device.</summary>
    public Presence? Presence { get; init; }

    /// <summary>Whether the app is in the foreground.</summary>
    public bool? Foreground { get; init; }

    /// <summary>The battery.</summary>
    public BatteryState? Battery { get; init; }

    /// <summary>The network.</summary>
    public ConnectivityState? Connectivity { get; init; }

    /// <summary>Where the device is, if the user allowed it.</summary>
    public GeoLocation? Location { get; init; }
}

/// <summary>The battery of a device.</summary>
public sealed record BatteryState
{
    /// <summary>Charge from 0.0 (empty) to 1.0 (full).</summary>
    public double Level { get; init; }

    /// <summary>Plugged in.</summary>
    public bool Charging { get; init; }

    /// <summary>The OS low-power mode is on; null when unknown.</summary>
    public bool? LowPower { get; init; }
}

/// <summary>How a device reaches the network.</summary>
public sealed record ConnectivityState
{
    /// <summary>The kind of network.</summary>
    public ConnectivityType Type { get; init; }

    /// <summary>The network charges by volume; null when unknown.</summary>
    public bool? Metered { get; init; }
}

/// <summary>A position in WGS 84.</summary>
public sealed record GeoLocation
{
    /// <summary>Latitude in degrees.</summary>
    public double Lat { get; init; }

    /// <summary>Longitude in degrees.</summary>
    public double Lon { get; init; }

    /// <summary>Radius of uncertainty in metres; null when unknown.</summary>
    public double? Accuracy { get; init; }
}

/// <summary>What the server knows about a device right now, as <c>GET /v1/users/{id}</c> returns it.</summary>
public sealed record DeviceState
{
    /// <summary>True while the device holds a realtime connection.</summary>
    public bool Online { get; init; }

    /// <summary>The last reported presence.</summary>
    public Presence? Presence { get; init; }

    /// <summary>The last reported foreground flag.</summary>
    public bool? Foreground { get; init; }

    /// <summary>The last reported battery.</summary>
    public BatteryState? Battery { get; init; }

    /// <summary>The last reported network.</summary>
    public ConnectivityState? Connectivity { get; init; }

    /// <summary>The last reported location.</summary>
    public GeoLocation? Location { get; init; }

    /// <summary>When the device last reported <see cref="Client.Presence.Active"/>.</summary>
    public DateTimeOffset? LastActiveAt { get; init; }

    /// <summary>When the device last said anything (message, heartbeat or report).</summary>
    public DateTimeOffset? LastSeenAt { get; init; }
}
