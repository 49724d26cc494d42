using System.Text.Json.Nodes;
using NodaTime;
using Notify.Engine.Decisions;
using Notify.Engine.Devices;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Server.Auth;
using Notify.Server.Problems;

namespace Notify.Server.Api;

/// <summary><c>POST /v1/simulate</c>: what notify would decide, and why, without sending or storing anything.</summary>
public static class SimulateApi
{
    public static IEndpointRouteBuilder MapSimulateApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/simulate", SimulateAsync).RequireAuthorization(Policies.Admin).WithTags("Rules")
            .WithSummary("Decide a notify call as of a given instant, for an existing user or inline state; nothing is sent or stored")
            .Produces<SimulateResult>().ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    /// <summary>A notify body, plus the instant to decide at, plus (optionally) the user and devices inline.</summary>
    /// <param name="Step">Decide from this step (1-based), as a follow-up would; default 1.</param>
    public sealed record SimulateRequest(string? UserId, string? Category, string? Title, string? Body, JsonObject? Data, string? Priority,
        string? IdempotencyKey, string? Ttl, string? CollapseKey, DateTimeOffset? At, SimulatedUser? User, List<SimulatedDevice>? Devices, int? Step);

    public sealed record SimulatedUser(string? TimeZone, string? Email, QuietHoursDocument? QuietHours, UsersPreferencesInput? Preferences);

    public sealed record UsersPreferencesInput(Dictionary<string, UserSettingsApi.CategoryPreferenceRequest>? Categories);

    public sealed record SimulatedDevice(string? Id, Platform? Platform, string? Name, bool? Push, SimulatedState? State);

    public sealed record SimulatedState(bool? Online, Presence? Presence, bool? Foreground, BatteryState? Battery, ConnectivityState? Connectivity,
        GeoLocation? Location, DateTimeOffset? LastActiveAt);

    public sealed record SimulateResult(NotificationStatus Status, DecisionSummary Decision, string Rule, string RuleVersion, IReadOnlyList<TraceEntry> Trace);

    private static async Task<IResult> SimulateAsync(SimulateRequest request, HttpContext context, INotifyStore store, RuleSet rules,
        DeviceStateTracker tracker, DeliveryOptions options, TimeProvider time)
    {
        if (!context.TryGetAppScope(out var appId, out var scopeProblem)) return scopeProblem!;
        var notify = new NotificationsApi.NotifyRequest(request.UserId ?? (request.User is null ? null : "simulated"), request.Category, request.Title,
            request.Body, request.Data, request.Priority, request.IdempotencyKey, request.Ttl, request.CollapseKey);
        if (NotificationsApi.Validate(notify, out var command) is { } problem) return problem;
        var at = request.At?.ToUniversalTime() ?? time.UtcNow();

        User? user;
        IReadOnlyList<DeviceSnapshot> devices;
        if (request.User is { } inline)
        {
            if (string.IsNullOrWhiteSpace(inline.TimeZone))
                return Problem.BadRequest("missing-field", "'user.timeZone' is required: an IANA time zone id such as \"Europe/Lisbon\".", "user.timeZone");
            if (UserSettingsApi.ToPreferences(inline.Preferences?.Categories, "user.preferences.categories", out var preferences) is { } invalid) return invalid;
            if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(inline.TimeZone) is null)
                return Problem.BadRequest("invalid-time-zone", $"'user.timeZone' is '{inline.TimeZone}'; give an IANA time zone id such as \"Europe/Lisbon\".", "user.timeZone");
            var quiet = Engine.QuietHours.QuietHoursSettings.None;
            if (inline.QuietHours is { } q && (quiet = q.ToSettings(out var errors)!) is null)
                return Problem.Of(400, "invalid-quiet-hours", errors[0].Message, errors.ToDictionary(e => "user.quietHours." + e.Field, e => new[] { e.Message }));
            user = new User(appId, command!.UserId, inline.Email, inline.TimeZone, null, at, at)
            {
                QuietHours = quiet,
                Preferences = preferences,
            };
            devices = [];
        }
        else
        {
            user = await store.GetUserAsync(appId, command!.UserId, context.RequestAborted);
            if (user is null) return Problem.Of(404, "user-not-found", $"There is no user '{command.UserId}'; simulate for an existing user, or give 'user' and 'devices' inline.");
            devices = tracker.Snapshots(await store.GetDevicesAsync(appId, user.Id, context.RequestAborted));
        }
        if (request.Devices is { } inlineDevices)
        {
            var list = new List<DeviceSnapshot>();
            for (var i = 0; i < inlineDevices.Count; i++)
            {
                var d = inlineDevices[i];
                if (d.Platform is null) return Problem.BadRequest("missing-field", $"'devices[{i}].platform' is required: one of {Names.List<Platform>()}.", $"devices[{i}].platform");
                var s = d.State;
                if (s?.Battery is { Level: < 0 or > 1 }) return Problem.BadRequest("invalid-state", $"'devices[{i}].state.battery.level' is a fraction from 0.0 to 1.0.", $"devices[{i}].state.battery.level");
                var device = new Device(d.Id ?? $"device-{i + 1}", appId, user.Id, d.Platform.Value, d.Name,
                    d.Push == true ? new PushRegistration("fcm", "simulated", null, null) : null, "", at);
                list.Add(new DeviceSnapshot(device, new DeviceState(s?.Online ?? false, s?.Presence, s?.Foreground, s?.Battery, s?.Connectivity, s?.Location,
                    s?.LastActiveAt ?? (s?.Presence == Presence.Active ? at : null), at)));
            }
            devices = list;
        }

        var rule = rules.Match(command.Category);
        if (rule is null) return Problem.Of(422, "unknown-category", $"No rule serves the category '{command.Category}' and there is no 'default' rule.");
        var step = (request.Step ?? 1) - 1;
        if (step < 0 || step >= rule.Steps.Length)
            return Problem.BadRequest("invalid-step", $"'step' is {request.Step}; rule '{rule.Name}' has steps 1 to {rule.Steps.Length}.", "step");
        var ttl = command.Ttl ?? rule.Ttl ?? options.DefaultTtl;
        var n = new Notification
        {
            Id = "simulated", AppId = appId, UserId = user.Id, Category = command.Category, Title = command.Title, Body = command.Body,
            Data = command.Data, Priority = command.Priority ?? rule.Priority ?? Priority.Normal, CreatedAt = at, ExpiresAt = at + ttl,
            RuleName = rule.Name, RuleVersion = rule.Version, Status = NotificationStatus.Scheduled, CollapseKey = command.CollapseKey,
        };
        var decision = DecisionEngine.Decide(new DecisionInput(n, user, devices, rule, step, [], options.EnabledChannels, at));
        var status = decision switch
        {
            { Suppressed: true } => NotificationStatus.Suppressed,
            { Hold: not null } => NotificationStatus.Held,
            { Found: true } when decision.ToUser || decision.Targets.Any(t => t.State.Online) => NotificationStatus.Delivered,
            { Found: true } => NotificationStatus.Scheduled,
            _ => NotificationStatus.Failed,
        };
        var deliverAt = status == NotificationStatus.Delivered ? at : decision.Hold?.Until is { } until && until < n.ExpiresAt ? until : (DateTimeOffset?)null;
        return TypedResults.Json(new SimulateResult(status,
            new DecisionSummary(decision.Targets.FirstOrDefault()?.Device.Id, decision.Channel, deliverAt, decision.Reason),
            rule.Name, rule.Version, decision.Trace), ServerJson.Strict);
    }
}
