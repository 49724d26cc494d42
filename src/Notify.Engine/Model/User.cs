namespace Notify.Engine.Model;

/// <summary>A person an app notifies. Identified by the app's own id, scoped to the app.</summary>
/// <param name="TimeZone">An IANA zone id, validated with NodaTime before it gets here.</param>
public sealed record User(string AppId, string Id, string? Email, string TimeZone, string? Locale,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
