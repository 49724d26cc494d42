using Notify.Engine.Model;
using NodaTime;

namespace Notify.Engine.Rules;

/// <summary>
/// Builds the variables a condition sees. Every field is always present (unknown values get a documented
/// neutral value and a <c>known</c> flag), so conditions never fail on a missing key at run time.
/// </summary>
public static class ConditionContext
{
    /// <param name="devices">The user's devices: <c>user.regions</c> and <c>user.location</c> are where the one in use is.</param>
    /// <param name="regions">The rule's named regions.</param>
    public static IDictionary<string, object?> For(Notification notification, User user, DateTimeOffset now,
        IReadOnlyList<DeviceSnapshot>? devices = null, IReadOnlyDictionary<string, Region>? regions = null)
    {
        IDictionary<string, object?>? n = null, u = null, l = null;
        return new LazyMap(key => key switch
        {
            "notification" => n ??= NotificationVars(notification),
            "user" => u ??= UserVars(user, InUse(devices)?.State.Location, regions),
            "local" => l ??= LocalVars(user.TimeZone, now),
            "now" => now.ToUnixTimeSeconds(),
            _ => null,
        });
    }

    /// <param name="regions">The rule's named regions: <c>device.regions</c> lists those the device is inside.</param>
    public static IDictionary<string, object?> WithDevice(IDictionary<string, object?> baseVars, DeviceSnapshot device, DateTimeOffset now,
        IReadOnlyDictionary<string, Region>? regions = null)
    {
        IDictionary<string, object?>? d = null;
        return new LazyMap(key => key == "device" ? d ??= DeviceVars(device, now, regions) : baseVars.TryGetValue(key, out var v) ? v : null);
    }

    internal static IDictionary<string, object?> Sample(bool perDevice)
    {
        var now = DateTimeOffset.UnixEpoch.AddYears(50);
        var n = new Notification
        {
            Id = "n", AppId = "a", UserId = "u", Category = "c", Priority = Priority.Normal, CreatedAt = now, ExpiresAt = now,
            RuleName = "r", RuleVersion = "v", Status = NotificationStatus.Scheduled, Title = "t", Body = "b",
        };
        var vars = For(n, new User("a", "u", "e@example.com", "UTC", "en", now, now), now);
        if (!perDevice) return vars;
        var device = new DeviceSnapshot(new Device("d", "a", "u", Platform.Ios, "phone", null, "", now), DeviceState.Unknown);
        return WithDevice(vars, device, now);
    }

    internal static string FieldList(bool perDevice) =>
        "notification.{id,category,priority,title,body,collapseKey,data}, user.{id,timeZone,email,hasEmail,locale,location.{known,lat,lon,accuracy},regions}, " +
        "local.{hour,minute,weekday,date}, now" +
        (perDevice ? ", device.{id,name,platform,online,presence,foreground,idleSeconds,battery.{known,level,charging,lowPower,mains}," +
            "connectivity.{known,type,metered},location.{known,lat,lon,accuracy},regions,hasPush}, distance(device.location, lat, lon)" : "");

    private static IDictionary<string, object?> NotificationVars(Notification n) => new LazyMap(key => key switch
    {
        "id" => n.Id,
        "category" => n.Category,
        "priority" => Names.Of(n.Priority),
        "title" => n.Title ?? "",
        "body" => n.Body ?? "",
        "collapseKey" => n.CollapseKey ?? "",
        "data" => n.Data?.ToDictionary(kv => kv.Key, kv => (object?)kv.Value?.ToString()) ?? new Dictionary<string, object?>(),
        _ => null,
    });

    /// <summary>The device the user is using, as far as location goes: of the devices that reported a location, the one
    /// most recently active. A tablet left at the office says nothing about where its owner is now.</summary>
    public static DeviceSnapshot? InUse(IReadOnlyList<DeviceSnapshot>? devices)
    {
        DeviceSnapshot? best = null;
        foreach (var d in devices ?? [])
            if (d.State.Location is not null && (best is null || (d.State.LastActiveAt ?? DateTimeOffset.MinValue) > (best.State.LastActiveAt ?? DateTimeOffset.MinValue)))
                best = d;
        return best;
    }

    private static IDictionary<string, object?> UserVars(User u, GeoLocation? location, IReadOnlyDictionary<string, Region>? regions) => new LazyMap(key => key switch
    {
        "id" => u.Id,
        "timeZone" => u.TimeZone,
        "email" => u.Email ?? "",
        "hasEmail" => !string.IsNullOrEmpty(u.Email),
        "locale" => u.Locale ?? "",
        "location" => LocationVars(location),
        "regions" => Inside(location, regions),
        _ => null,
    });

    private static Dictionary<string, object?> LocationVars(GeoLocation? location) => new()
    {
        ["known"] = location is not null,
        ["lat"] = location?.Lat ?? 0.0,
        ["lon"] = location?.Lon ?? 0.0,
        ["accuracy"] = location?.Accuracy ?? 0.0,
    };

    /// <summary>A desktop or web device that reports no battery runs on mains: it counts as charging, full.</summary>
    public static bool OnMains(DeviceSnapshot d) => d.State.Battery is null && d.Device.Platform is Platform.Desktop or Platform.Web;

    private static IDictionary<string, object?> LocalVars(string timeZone, DateTimeOffset now)
    {
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) ?? DateTimeZone.Utc;
        var local = Instant.FromDateTimeOffset(now).InZone(zone).LocalDateTime;
        return new Dictionary<string, object?>
        {
            ["hour"] = (long)local.Hour,
            ["minute"] = (long)local.Minute,
            ["weekday"] = local.DayOfWeek.ToString()[..3].ToLowerInvariant(),
            ["date"] = local.Date.ToString("yyyy-MM-dd", null),
        };
    }

    private static IDictionary<string, object?> DeviceVars(DeviceSnapshot d, DateTimeOffset now, IReadOnlyDictionary<string, Region>? regions)
    {
        var s = d.State;
        var mains = OnMains(d);
        return new LazyMap(key => key switch
        {
            "id" => d.Device.Id,
            "name" => d.Device.Name ?? "",
            "platform" => Names.Of(d.Device.Platform),
            "online" => s.Online,
            "presence" => s.Presence is { } p ? Names.Of(p) : "unknown",
            "foreground" => s.Foreground ?? false,
            // Seconds since the device last reported the user active; very large when never.
            "idleSeconds" => s.LastActiveAt is { } at ? (long)Math.Max(0, (now - at).TotalSeconds) : long.MaxValue / 2,
            "battery" => new LazyMap(b => b switch
            {
                "known" => s.Battery is not null,
                "level" => s.Battery?.Level ?? 1.0,
                "charging" => s.Battery?.Charging ?? mains,
                "mains" => mains,
                "lowPower" => s.Battery?.LowPower ?? false,
                _ => null,
            }),
            "connectivity" => new LazyMap(c => c switch
            {
                "known" => s.Connectivity is not null,
                "type" => s.Connectivity is { } con ? Names.Of(con.Type) : "unknown",
                "metered" => s.Connectivity?.Metered ?? false,
                _ => null,
            }),
            "location" => LocationVars(s.Location),
            "regions" => Inside(s.Location, regions),
            "hasPush" => d.Device.Push is not null,
            _ => null,
        });
    }

    private static List<object?> Inside(GeoLocation? location, IReadOnlyDictionary<string, Region>? regions)
    {
        var inside = new List<object?>();
        if (location is not null && regions is not null)
            foreach (var (name, region) in regions)
                if (region.Contains(location)) inside.Add(name);
        return inside;
    }
}
