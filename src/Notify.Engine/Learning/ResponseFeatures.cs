using NodaTime;
using Notify.Engine.Model;

namespace Notify.Engine.Learning;

/// <summary>
/// What the response model sees about one candidate delivery at decision time: the device's state, the user's local
/// time, and the notification's category, priority, channel and step. The same values are stored with every outcome
/// (training) and computed for every candidate (scoring), so training and scoring cannot drift apart.
/// </summary>
/// <remarks>Categorical values are the wire names (<c>ios</c>, <c>active</c>, <c>wifi</c>); unknown is <c>unknown</c>.
/// Numbers that a device may not report are -1 when unknown, so every feature always has a value.</remarks>
/// <param name="SecondsSinceActive">Seconds since the device last reported <c>active</c>, capped at a day; -1 when never.</param>
/// <param name="BatteryLevel">0..1; -1 when the device reports no battery (a desktop).</param>
/// <param name="LocalHour">The hour in the user's zone, with minutes as a fraction (13.5 is 13:30).</param>
/// <param name="Weekday">ISO day of the week in the user's zone: 1 Monday .. 7 Sunday.</param>
/// <param name="Step">The rule step (0 for the first).</param>
public readonly record struct ResponseFeatures(
    string Platform, string Presence, bool Online, bool Foreground, double SecondsSinceActive,
    double BatteryLevel, bool Charging, bool LowBattery, string Connectivity, bool Metered,
    double LocalHour, int Weekday, string Category, string Priority, string Channel, int Step)
{
    /// <summary>A day: longer inactivity is all the same to the model.</summary>
    public const double MaxSecondsSinceActive = 86_400;

    /// <summary>The features of delivering <paramref name="n"/> to <paramref name="device"/> over <paramref name="channel"/> at
    /// <paramref name="step"/>, at <paramref name="now"/> (whose local time is <paramref name="local"/>).</summary>
    public static ResponseFeatures From(Notification n, LocalDateTime local, DeviceSnapshot device, Channel channel, int step, DateTimeOffset now)
    {
        var s = device.State;
        var sinceActive = s.LastActiveAt is { } at ? Math.Clamp((now - at).TotalSeconds, 0, MaxSecondsSinceActive) : -1;
        return new ResponseFeatures(
            Names.Of(device.Device.Platform),
            s.Presence is { } p ? Names.Of(p) : "unknown",
            s.Online,
            s.Foreground == true,
            sinceActive,
            s.Battery?.Level ?? -1,
            s.Battery?.Charging == true,
            Decisions.DeviceRanking.IsLowBattery(s),
            s.Connectivity is { } c ? Names.Of(c.Type) : "unknown",
            s.Connectivity?.Metered == true,
            local.Hour + local.Minute / 60.0,
            (int)local.DayOfWeek,
            n.Category,
            Names.Of(n.Priority),
            Names.Of(channel),
            step);
    }

    /// <summary>The user's local date and time at <paramref name="now"/> (UTC for an unknown zone).</summary>
    public static LocalDateTime LocalTime(User user, DateTimeOffset now) =>
        Instant.FromDateTimeOffset(now).InZone(DateTimeZoneProviders.Tzdb.GetZoneOrNull(user.TimeZone) ?? DateTimeZone.Utc).LocalDateTime;
}
