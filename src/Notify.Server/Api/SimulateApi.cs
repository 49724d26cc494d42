using System.Text.Json.Nodes;
using NodaTime;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Planning;
using Notify.Engine.Timers;
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
            .Produces<SimulateResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    /// <summary>A notify body, plus the instant to decide at, plus (optionally) the user and devices inline, a draft rule,
    /// and for a follow-up the step and the devices already reached.</summary>
    /// <param name="Step">Decide from this step (1-based), as the follow-up after step - 1 would; default 1 (a notify call).</param>
    /// <param name="DeliveredTo">For a follow-up (<paramref name="Step"/> 2 or later): ids of the devices the earlier step reached.</param>
    /// <param name="Rule">A draft rule's YAML, used instead of the rule that serves the category: try a rule before it goes live.</param>
    public sealed record SimulateRequest(string? UserId, string? Category, string? Title, string? Body, JsonObject? Data, string? Priority,
        string? IdempotencyKey, string? Ttl, string? CollapseKey, DateTimeOffset? At, SimulatedUser? User, List<SimulatedDevice?>? Devices, int? Step,
        List<string?>? DeliveredTo = null, string? Rule = null);

    public sealed record SimulatedUser(string? TimeZone, string? Email, QuietHoursDocument? QuietHours, UsersPreferencesInput? Preferences);

    public sealed record UsersPreferencesInput(Dictionary<string, UserSettingsApi.CategoryPreferenceRequest>? Categories);

    /// <param name="Push">The device has a push token (FCM for Android and web, APNs for iOS).</param>
    public sealed record SimulatedDevice(string? Id, Platform? Platform, string? Name, bool? Push, SimulatedState? State);

    public sealed record SimulatedState(bool? Online, Presence? Presence, bool? Foreground, BatteryState? Battery, ConnectivityState? Connectivity,
        GeoLocation? Location, DateTimeOffset? LastActiveAt);

    /// <summary>What notify would answer (<see cref="Status"/>, <see cref="Decision"/>), and what it would do: the deliveries
    /// it would create, the timers it would set (the follow-up, the release of a hold, the expiry) and the trace.</summary>
    public sealed record SimulateResult(NotificationStatus Status, DecisionSummary Decision, string Rule, string RuleVersion, IReadOnlyList<TraceEntry> Trace,
        IReadOnlyList<SimulatedDelivery> Deliveries, IReadOnlyList<SimulatedTimer> Timers);

    public sealed record SimulatedDelivery(int Step, string? DeviceId, Channel Channel, DeliveryStatus Status, string? Reason);

    public sealed record SimulatedTimer(TimerKind Kind, int? Step, DateTimeOffset DueAt);

    /// <summary>The instants simulate accepts (a decision needs time-zone rules for the instant and its TTL after it).</summary>
    private static readonly DateTimeOffset EarliestAt = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), LatestAt = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static async Task<IResult> SimulateAsync(SimulateRequest request, HttpContext context, INotifyStore store, RuleSet rules,
        PlanRunner runner, TimeProvider time)
    {
        if (!context.TryGetAppScope(out var appId, out var scopeProblem)) return scopeProblem!;
        var notify = new NotificationsApi.NotifyRequest(request.UserId ?? (request.User is null ? null : "simulated"), request.Category, request.Title,
            request.Body, request.Data, request.Priority, request.IdempotencyKey, request.Ttl, request.CollapseKey);
        if (NotificationsApi.Validate(notify, out var command) is { } problem) return problem;
        if (request.At is { } requested && (requested < EarliestAt || requested >= LatestAt))
            return Problem.BadRequest("invalid-at", $"'at' is {requested:O}; give an instant from {EarliestAt:yyyy} to {LatestAt.Year - 1}, such as \"2026-12-01T23:30:00Z\".", "at");
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
            devices = await runner.DevicesAsync(appId, user.Id, context.RequestAborted); // as notify reads them
        }
        if (request.Devices is { } inlineDevices)
        {
            if (ToDevices(inlineDevices, appId, user.Id, at, out var list) is { } invalid) return invalid;
            devices = list;
        }

        Rule? rule;
        if (request.Rule is { } draft)
        {
            var parsed = RuleParser.Parse(draft, "draft");
            if (parsed.Rule is null)
                return Problem.Of(400, "invalid-rule", $"'rule' is not a valid rule: {parsed.Problems[0]}",
                    new Dictionary<string, string[]> { ["rule"] = [.. parsed.Problems.Select(p => p.ToString())] });
            rule = parsed.Rule;
        }
        else if ((rule = rules.Match(command.Category)) is null)
            return Problem.Of(422, "unknown-category", $"No rule serves the category '{command.Category}' and there is no 'default' rule.");

        var step = request.Step ?? 1;
        if (step < 1 || step > rule.Steps.Length)
            return Problem.BadRequest("invalid-step", $"'step' is {request.Step}; rule '{rule.Name}' has steps 1 to {rule.Steps.Length}.", "step");
        var reached = new List<string>();
        for (var i = 0; i < (request.DeliveredTo?.Count ?? 0); i++)
        {
            if (request.DeliveredTo![i] is not { Length: > 0 } id)
                return Problem.BadRequest("invalid-field", $"'deliveredTo[{i}]' is empty; give the id of a device the earlier step reached.", $"deliveredTo[{i}]");
            if (devices.All(d => d.Device.Id != id))
                return Problem.BadRequest("unknown-device", $"'deliveredTo[{i}]' is '{id}', which is not one of the user's devices ({string.Join(", ", devices.Select(d => d.Device.Id))}).", $"deliveredTo[{i}]");
            reached.Add(id);
        }
        if (reached.Count > 0 && step == 1)
            return Problem.BadRequest("invalid-step", "'deliveredTo' describes what an earlier step reached: give 'step' 2 or later for the follow-up to simulate.", "deliveredTo");

        // The same planner notify and the timers use; nothing it plans is committed or sent.
        var ctx = runner.Context(appId, user.Id) with { Now = at };
        var plan = Planner.Accept(appId, command, user, devices, rule, [], ctx);
        if (step > 1) plan = Planner.FollowUp(plan.Changes[0].Insert!, step - 2, reached, user, devices, rule, ctx);
        var result = plan.Result!;
        var change = plan.Changes[0];
        return TypedResults.Json(new SimulateResult(result.Status, result.Decision!, rule.Name, rule.Version, [.. plan.Trace],
            [.. change.NewDeliveries.Select(d => new SimulatedDelivery(d.Step + 1, d.DeviceId, d.Channel, d.Status, d.Reason))],
            [.. change.NewTimers.Select(t => new SimulatedTimer(t.Kind, t.Step >= 0 ? t.Step + 1 : null, t.DueAt))]), ServerJson.Strict);
    }

    private static IResult? ToDevices(List<SimulatedDevice?> inline, string appId, string userId, DateTimeOffset at, out List<DeviceSnapshot> list)
    {
        list = [];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < inline.Count; i++)
        {
            if (inline[i] is not { } d) return Problem.BadRequest("invalid-field", $"'devices[{i}]' is null; give a device such as {{\"platform\":\"ios\"}}.", $"devices[{i}]");
            if (d.Platform is null) return Problem.BadRequest("missing-field", $"'devices[{i}].platform' is required: one of {Names.List<Platform>()}.", $"devices[{i}].platform");
            var id = d.Id ?? $"device-{i + 1}";
            if (!ids.Add(id)) return Problem.BadRequest("invalid-field", $"'devices[{i}].id' is '{id}', which an earlier device has; give each device its own id.", $"devices[{i}].id");
            var s = d.State;
            if (s?.Battery is { Level: < 0 or > 1 } || s?.Battery is { Level: double.NaN })
                return Problem.BadRequest("invalid-state", $"'devices[{i}].state.battery.level' is a fraction from 0.0 to 1.0.", $"devices[{i}].state.battery.level");
            if (s?.Location is { } l && !(l.Lat is >= -90 and <= 90 && l.Lon is >= -180 and <= 180))
                return Problem.BadRequest("invalid-state", $"'devices[{i}].state.location' needs lat from -90 to 90 and lon from -180 to 180.", $"devices[{i}].state.location");
            var push = d.Push == true ? new PushRegistration(d.Platform == Platform.Ios ? "apns" : "fcm", "simulated", null, null) : null;
            var device = new Device(id, appId, userId, d.Platform.Value, d.Name, push, "", at);
            list.Add(new DeviceSnapshot(device, new DeviceState(s?.Online ?? false, s?.Presence, s?.Foreground, s?.Battery, s?.Connectivity, s?.Location,
                s?.LastActiveAt ?? (s?.Presence == Presence.Active ? at : null), at)));
        }
        return null;
    }
}
