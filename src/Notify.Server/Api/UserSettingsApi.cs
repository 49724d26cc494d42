using NodaTime;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Storage;
using Notify.Server.Auth;
using Notify.Server.Problems;

namespace Notify.Server.Api;

/// <summary>Quiet hours and per-category preferences: set by the app for its user, or by the user's own device.</summary>
public static class UserSettingsApi
{
    public const int MaxCategories = 200;

    public static IEndpointRouteBuilder MapUserSettingsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/users/{userId}").RequireAuthorization(Policies.AppOrDeviceOrAdmin).WithTags("Users");
        group.MapPut("/quiet-hours", PutQuietHoursAsync).WithSummary("Set the user's quiet hours (weekly windows in their time zone, snooze, allowed priorities)")
            .Produces<QuietHoursView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/quiet-hours", GetQuietHoursAsync).WithSummary("The user's quiet hours, whether they are quiet now, and the next quiet period")
            .Produces<QuietHoursView>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/preferences", PutPreferencesAsync).WithSummary("Set per-category preferences: mute, and channels on or off")
            .Produces<UserPreferences>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/preferences", GetPreferencesAsync).WithSummary("The user's per-category preferences")
            .Produces<UserPreferences>().ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>Quiet hours as stored, plus where the user stands now (in UTC instants).</summary>
    public sealed record QuietHoursView(IReadOnlyList<QuietWindowInput> Windows, DateTimeOffset? SnoozeUntil, IReadOnlyList<string> Allow,
        string TimeZone, bool QuietNow, DateTimeOffset? QuietUntil, DateTimeOffset? NextStart, DateTimeOffset? NextEnd);

    public sealed record ChannelSwitches(bool? InApp, bool? Push, bool? Email);

    public sealed record CategoryPreferenceRequest(bool? Muted, ChannelSwitches? Channels);

    public sealed record PreferencesRequest(Dictionary<string, CategoryPreferenceRequest>? Categories);


    private static async Task<IResult> PutQuietHoursAsync(string userId, QuietHoursDocument request, HttpContext context, INotifyStore store, TimeProvider time,
        HoldHandler holds)
    {
        var (user, problem) = await UsersApi.FindVisibleAsync(userId, context, store);
        if (user is null) return problem!;
        var settings = request.ToSettings(out var errors);
        if (settings is null)
            return Problem.Of(400, "invalid-quiet-hours", errors[0].Message, errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()));
        // The same window twice is a mistake (a double click, a copy): refuse it rather than keep both.
        for (var i = 1; i < settings.Windows.Count; i++)
            for (var j = 0; j < i; j++)
                if (SameWindow(settings.Windows[i], settings.Windows[j]))
                    return Problem.BadRequest("invalid-quiet-hours",
                        $"'windows[{i}]' is the same window as 'windows[{j}]' (same days, from and to); give each window once.", $"windows[{i}]");
        await store.SetQuietHoursAsync(user.AppId, user.Id, settings, context.RequestAborted);
        // What the old quiet hours (or snooze) held is decided again: released now if they no longer hold it.
        await holds.QuietHoursChangedAsync(user.AppId, user.Id, context.RequestAborted);
        return TypedResults.Json(View(user with { QuietHours = settings }, time), ServerJson.Strict);
    }

    private static bool SameWindow(QuietWindow a, QuietWindow b) =>
        a.From == b.From && a.To == b.To && a.Days.ToHashSet().SetEquals(b.Days);

    private static async Task<IResult> GetQuietHoursAsync(string userId, HttpContext context, INotifyStore store, TimeProvider time)
    {
        var (user, problem) = await UsersApi.FindVisibleAsync(userId, context, store);
        return user is null ? problem! : TypedResults.Json(View(user, time), ServerJson.Strict);
    }

    private static QuietHoursView View(User user, TimeProvider time)
    {
        var now = time.UtcNow();
        var zone = DateTimeZoneProviders.Tzdb[user.TimeZone];
        var status = QuietHoursCalculator.At(user.QuietHours, zone, now);
        var next = QuietHoursCalculator.NextPeriod(user.QuietHours, zone, now);
        var doc = QuietHoursDocument.From(user.QuietHours);
        return new QuietHoursView(doc.Windows!, doc.SnoozeUntil, doc.Allow!, user.TimeZone, status.IsQuiet, status.Until, next?.Start, next?.End);
    }

    private static async Task<IResult> PutPreferencesAsync(string userId, PreferencesRequest request, HttpContext context, INotifyStore store)
    {
        var (user, problem) = await UsersApi.FindVisibleAsync(userId, context, store);
        if (user is null) return problem!;
        if (ToPreferences(request.Categories, "categories", out var preferences) is { } invalid) return invalid;
        await store.SetPreferencesAsync(user.AppId, user.Id, preferences, context.RequestAborted);
        return TypedResults.Json(preferences, ServerJson.Strict);
    }

    /// <summary>Validates the wire form of preferences (also given inline to simulate) and builds them.</summary>
    internal static IResult? ToPreferences(Dictionary<string, CategoryPreferenceRequest>? categories, string field, out UserPreferences preferences)
    {
        categories ??= [];
        preferences = UserPreferences.None;
        if (categories.Count > MaxCategories)
            return Problem.BadRequest("invalid-preferences", $"At most {MaxCategories} categories; use \"*\" for the rest.", field);
        var bad = categories.Keys.FirstOrDefault(k => k != UserPreferences.AnyCategory && !NotificationsApi.IsCategory(k));
        if (bad is not null)
            return Problem.BadRequest("invalid-preferences", $"'{bad}' is not a category name; use the names your notify calls send, or \"*\" for every other category.", $"{field}.{bad}");
        var empty = categories.FirstOrDefault(kv => kv.Value is null).Key;
        if (empty is not null)
            return Problem.BadRequest("invalid-preferences", $"The preference of '{empty}' is null; send an object such as {{ \"muted\": true }} or {{ \"channels\": {{ \"email\": false }} }}, or leave the category out.", $"{field}.{empty}");
        preferences = new UserPreferences(categories.ToDictionary(kv => kv.Key, kv => new CategoryPreference(kv.Value.Muted ?? false,
            kv.Value.Channels is { } c
                ? new[] { (Channel.InApp, c.InApp), (Channel.Push, c.Push), (Channel.Email, c.Email) }
                    .Where(x => x.Item2 is not null).ToDictionary(x => x.Item1, x => x.Item2!.Value)
                : null)));
        return null;
    }

    private static async Task<IResult> GetPreferencesAsync(string userId, HttpContext context, INotifyStore store)
    {
        var (user, problem) = await UsersApi.FindVisibleAsync(userId, context, store);
        return user is null ? problem! : TypedResults.Json(user.Preferences, ServerJson.Strict);
    }
}
