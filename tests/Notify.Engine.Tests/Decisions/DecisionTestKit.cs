using System.Globalization;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;
using NodaTime;
using NodaTime.Text;

namespace Notify.Engine.Tests.Decisions;

/// <summary>Short ways to build decision inputs in the rules-v2 decision tests. No clock: every test names its instant.</summary>
internal static class DecisionTestKit
{
    public static readonly DateTimeZone Lisbon = DateTimeZoneProviders.Tzdb["Europe/Lisbon"];
    public static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    public static readonly IReadOnlySet<Channel> AllChannels = new HashSet<Channel> { Channel.InApp, Channel.Push, Channel.Email };

    /// <summary>The rule, or an exception listing every problem (a test rule that does not load is a test bug).</summary>
    public static Rule Parse(string yaml)
    {
        var result = RuleParser.Parse(yaml, "r");
        return result.Rule ?? throw new InvalidOperationException(string.Join("\n", result.Problems));
    }

    public static User Ana(string zone = "Europe/Lisbon", QuietHoursSettings? quiet = null, UserPreferences? preferences = null,
        string? email = "ana@example.com")
    {
        var created = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return new User("app", "ana", email, zone, "pt-PT", created, created)
        {
            QuietHours = quiet ?? QuietHoursSettings.None,
            Preferences = preferences ?? UserPreferences.None,
        };
    }

    public static Notification Note(DateTimeOffset now, Priority priority = Priority.Normal, TimeSpan? ttl = null, string category = "mention") => new()
    {
        Id = "ntf_1", AppId = "app", UserId = "ana", Category = category, Priority = priority, CreatedAt = now,
        ExpiresAt = now + (ttl ?? TimeSpan.FromHours(24)), RuleName = "r", RuleVersion = "v", Status = NotificationStatus.Scheduled,
    };

    public static DeviceSnapshot Device(string id, DateTimeOffset now, Platform platform = Platform.Ios, bool online = true,
        Presence? presence = null, TimeSpan? activeAgo = null, BatteryState? battery = null, ConnectivityState? net = null,
        GeoLocation? location = null, bool push = true) =>
        new(new Device(id, "app", "ana", platform, id, push ? new PushRegistration("fcm", "tok-" + id, null, null) : null, "h", now),
            new DeviceState(online, presence, null, battery, net, location, activeAgo is { } a ? now - a : null, now));

    public static DecisionInput Input(Rule rule, User user, Notification note, IReadOnlyList<DeviceSnapshot> devices, DateTimeOffset now,
        int from = 0, IReadOnlyCollection<(string, Channel)>? reached = null, IReadOnlySet<Channel>? channels = null) =>
        new(note, user, devices, rule, from, reached ?? [], channels ?? AllChannels, now);

    public static Decision Decide(Rule rule, User user, Notification note, IReadOnlyList<DeviceSnapshot> devices, DateTimeOffset now,
        int from = 0, IReadOnlyCollection<(string, Channel)>? reached = null, IReadOnlySet<Channel>? channels = null) =>
        DecisionEngine.Decide(Input(rule, user, note, devices, now, from, reached, channels));

    /// <summary><c>W("fri", "22:00", "07:00")</c>; days comma-separated (<c>"mon,tue"</c>) or <c>daily</c>.</summary>
    public static QuietWindow W(string days, string from, string to) => new(
        days == "daily" ? [.. Enumerable.Range(1, 7).Select(d => (IsoDayOfWeek)d)] : [.. days.Split(',').Select(Day)],
        LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(from).Value,
        LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(to).Value);

    public static QuietHoursSettings Quiet(QuietWindow window, params Priority[] allow) => new([window], null, allow);

    /// <summary>An instant from ISO text with an offset: <c>"2026-03-29T06:00Z"</c>, <c>"2026-03-28T23:00+01:00"</c>.</summary>
    public static DateTimeOffset T(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>The instant of an unambiguous local time in <paramref name="zone"/>.</summary>
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

    public static UserPreferences Prefs(params (string Category, CategoryPreference Preference)[] entries) =>
        new(entries.ToDictionary(e => e.Category, e => e.Preference));

    public static string Ids(Decision decision) => string.Join(",", decision.Targets.Select(t => t.Device.Id).Order(StringComparer.Ordinal));

    /// <summary>The whole trace, one line per entry, for assertion messages.</summary>
    public static string Dump(Decision decision) => string.Join("\n", decision.Trace.Select(t => $"[{t.Step}|{t.DeviceId}] {t.Message}"));
}
