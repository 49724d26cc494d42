using System.Text.Json.Serialization;

namespace Notify.Client.Apps;

/// <summary>A day of the week as quiet-hour windows name it (<c>mon</c> … <c>sun</c>).</summary>
public enum Weekday
{
    /// <summary>Monday.</summary>
    Mon,
    /// <summary>Tuesday.</summary>
    Tue,
    /// <summary>Wednesday.</summary>
    Wed,
    /// <summary>Thursday.</summary>
    Thu,
    /// <summary>Friday.</summary>
    Fri,
    /// <summary>Saturday.</summary>
    Sat,
    /// <summary>Sunday.</summary>
    Sun,
}

/// <summary>The body of <c>PUT /v1/users/{userId}/quiet-hours</c>: when not to disturb the user, in the user's
/// own time zone.</summary>
public sealed record QuietHours
{
    /// <summary>The windows; replaces the previous ones. Empty means no quiet hours.</summary>
    public IReadOnlyList<QuietWindow> Windows { get; init; } = [];

    /// <summary>Quiet until this instant regardless of the windows (a snooze); null for none.</summary>
    public DateTimeOffset? SnoozeUntil { get; init; }

    /// <summary>The priorities that get through anyway (typically <see cref="Priority.Critical"/>).</summary>
    public IReadOnlyList<Priority> Allow { get; init; } = [];
}

/// <summary>A recurring quiet window. <see cref="From"/> later than <see cref="To"/> spans midnight
/// (22:00 to 07:00), and belongs to the day it starts on.</summary>
/// <remarks>Times are local wall-clock times in the user's zone: on a daylight-saving change the window is
/// as long as the clock says, not a fixed number of hours.</remarks>
public sealed record QuietWindow
{
    /// <summary>The days the window starts on.</summary>
    public required IReadOnlyList<Weekday> Days { get; init; }

    /// <summary>The local start, sent as <c>HH:mm</c>.</summary>
    [JsonConverter(typeof(HourMinuteConverter))]
    public required TimeOnly From { get; init; }

    /// <summary>The local end, sent as <c>HH:mm</c>.</summary>
    [JsonConverter(typeof(HourMinuteConverter))]
    public required TimeOnly To { get; init; }
}

/// <summary>The body of <c>PUT /v1/users/{userId}/preferences</c>: what the user wants per category.</summary>
public sealed record NotificationPreferences
{
    /// <summary>Per category name (<c>mention</c>); categories left out keep the rules' behaviour.</summary>
    public IReadOnlyDictionary<string, CategoryPreference> Categories { get; init; } =
        new Dictionary<string, CategoryPreference>();
}

/// <summary>The user's wishes for one category.</summary>
public sealed record CategoryPreference
{
    /// <summary>True records the category's notifications without sending them (status suppressed).</summary>
    public bool? Muted { get; init; }

    /// <summary>Which channels may be used; null allows all.</summary>
    public ChannelPreferences? Channels { get; init; }
}

/// <summary>Per-channel switches; null leaves a channel allowed.</summary>
public sealed record ChannelPreferences
{
    /// <summary>Allow push.</summary>
    public bool? Push { get; init; }

    /// <summary>Allow in-app delivery.</summary>
    public bool? InApp { get; init; }

    /// <summary>Allow email.</summary>
    public bool? Email { get; init; }
}
