using NodaTime;
using Notify.Engine.QuietHours;

namespace Notify.Engine.Model;

/// <summary>
/// Quiet hours in their wire form (<c>PUT /v1/users/{id}/quiet-hours</c>), which is also how they are stored:
/// local times in the user's zone, so a later change of zone or of the tz database keeps their meaning.
/// </summary>
public sealed record QuietHoursDocument(IReadOnlyList<QuietWindowInput>? Windows, DateTimeOffset? SnoozeUntil, IReadOnlyList<string>? Allow)
{
    public static QuietHoursDocument From(QuietHoursSettings settings) => new(
        settings.Windows.Select(w => new QuietWindowInput(
            w.Days.Select(d => d.ToString()[..3].ToLowerInvariant()).ToList(), w.From.ToString("HH:mm", null), w.To.ToString("HH:mm", null))).ToList(),
        settings.SnoozeUntil,
        settings.Allow.Select(Names.Of).ToList());

    /// <summary>The settings, or null with <paramref name="errors"/> naming each field at fault.</summary>
    public QuietHoursSettings? ToSettings(out IReadOnlyList<(string Field, string Message)> errors) =>
        QuietHoursParser.TryParse(Windows, SnoozeUntil, Allow, out errors);
}

/// <summary>What the user wants per category (<c>PUT /v1/users/{id}/preferences</c>).</summary>
/// <param name="Categories">By category; <c>*</c> applies to every category not listed.</param>
public sealed record UserPreferences(IReadOnlyDictionary<string, CategoryPreference> Categories)
{
    public const string AnyCategory = "*";

    public static readonly UserPreferences None = new(new Dictionary<string, CategoryPreference>());

    private CategoryPreference? For(string category) =>
        Categories.GetValueOrDefault(category) ?? Categories.GetValueOrDefault(AnyCategory);

    /// <summary>A muted category is recorded as suppressed and never sent.</summary>
    public bool IsMuted(string category) => For(category)?.Muted == true;

    /// <summary>False when the user switched this channel off for the category: the step is passed over.</summary>
    public bool Allows(string category, Channel channel) =>
        For(category)?.Channels is not { } channels || !channels.TryGetValue(channel, out var on) || on;
}

/// <param name="Channels">Per channel, on or off; a channel not listed is on.</param>
public sealed record CategoryPreference(bool Muted, IReadOnlyDictionary<Channel, bool>? Channels);
