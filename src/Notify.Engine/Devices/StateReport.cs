using Notify.Engine.Model;

namespace Notify.Engine.Devices;

/// <summary>A device's report of its state; every field is optional and only given fields change.</summary>
public sealed record StateReport(Presence? Presence, bool? Foreground, BatteryReport? Battery,
    ConnectivityReport? Connectivity, LocationReport? Location)
{
    /// <summary>Checks ranges; returns the field at fault and what to send instead, or null when valid.</summary>
    public (string Field, string Message)? Validate()
    {
        if (Battery is { } b)
        {
            if (b.Level is null) return ("battery.level", "battery.level is required: a number from 0.0 (empty) to 1.0 (full)");
            if (b.Level is < 0 or > 1 || double.IsNaN(b.Level.Value)) return ("battery.level", $"battery.level is {b.Level}; send a fraction from 0.0 (empty) to 1.0 (full), e.g. 0.42 for 42%");
            if (b.Charging is null) return ("battery.charging", "battery.charging is required: true or false");
        }
        if (Connectivity is { Type: null }) return ("connectivity.type", $"connectivity.type is required: one of {Names.List<ConnectivityType>()}");
        if (Location is { } l)
        {
            if (l.Lat is null or < -90 or > 90) return ("location.lat", "location.lat is required: degrees from -90 to 90");
            if (l.Lon is null or < -180 or > 180) return ("location.lon", "location.lon is required: degrees from -180 to 180");
            if (l.Accuracy is < 0) return ("location.accuracy", "location.accuracy is in metres and cannot be negative");
        }
        return null;
    }
}

public sealed record BatteryReport(double? Level, bool? Charging, bool? LowPower);

public sealed record ConnectivityReport(ConnectivityType? Type, bool? Metered);

public sealed record LocationReport(double? Lat, double? Lon, double? Accuracy);
