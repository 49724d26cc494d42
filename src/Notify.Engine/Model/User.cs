using Notify.Engine.QuietHours;

namespace Notify.Engine.Model;

/// <summary>A person an app notifies. Identified by the app's own id, scoped to the app.</summary>
/// <param name="TimeZone">An IANA zone id, validated with NodaTime before it gets here.</param>
public sealed record User(string AppId, string Id, string? Email, string TimeZone, string? Locale,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>When not to interrupt, in <see cref="TimeZone"/>; none by default.</summary>
    public QuietHoursSettings QuietHours { get; init; } = QuietHoursSettings.None;

    /// <summary>Muted categories and switched-off channels; none by default.</summary>
    public UserPreferences Preferences { get; init; } = UserPreferences.None;
}
