using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using NodaTime;
using NodaTime.Text;

namespace Notify.Engine.Tests.QuietHours;

/// <summary>Short ways to write zones, windows and instants in the quiet-hours tests.</summary>
internal static class QuietHoursTestData
{
    public static readonly DateTimeZone Lisbon = DateTimeZoneProviders.Tzdb["Europe/Lisbon"];
    public static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];
    public static readonly DateTimeZone Sydney = DateTimeZoneProviders.Tzdb["Australia/Sydney"];
    public static readonly DateTimeZone Utc = DateTimeZone.Utc;

    /// <summary><c>W("fri", "22:00", "07:00")</c>; days may be comma-separated (<c>"mon,tue"</c>).</summary>
    public static QuietWindow W(string days, string from, string to) => new(
        [.. days.Split(',').Select(Day)],
        LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(from).Value,
        LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(to).Value);

    public static QuietHoursSettings Settings(params QuietWindow[] windows) => new(windows, null, []);

    public static QuietHoursSettings Snoozed(DateTimeOffset until, params QuietWindow[] windows) => new(windows, until, []);

    public static QuietHoursSettings Allowing(params Priority[] allow) => new([W("mon", "22:00", "07:00")], null, allow);

    /// <summary>An instant from an ISO text with offset, e.g. <c>"2026-03-29T06:00Z"</c> or <c>"2026-03-28T23:00+01:00"</c>.</summary>
    public static DateTimeOffset T(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The instant a local date and time has in <paramref name="zone"/>, which must be unambiguous.</summary>
    public static DateTimeOffset Local(DateTimeZone zone, int year, int month, int day, int hour, int minute = 0) =>
        new LocalDateTime(year, month, day, hour, minute).InZoneStrictly(zone).ToDateTimeOffset();

    public static IsoDayOfWeek Day(string name) => name.Trim() switch
    {
        "mon" => IsoDayOfWeek.Monday,
        "tue" => IsoDayOfWeek.Tuesday,
        "wed" => IsoDayOfWeek.Wednesday,
        "thu" => IsoDayOfWeek.Thursday,
        "fri" => IsoDayOfWeek.Friday,
        "sat" => IsoDayOfWeek.Saturday,
        "sun" => IsoDayOfWeek.Sunday,
        _ => throw new ArgumentException($"bad day {name}", nameof(name)),
    };
}
