using System.Text.Json;
using System.Text.Json.Nodes;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Server.Auth;
using Notify.Server.Problems;

namespace Notify.Server.Api;

/// <summary><c>POST /v1/notify</c>, <c>GET /v1/notifications/{id}</c>, <c>POST /v1/notifications/{id}/ack</c>.</summary>
public static partial class NotificationsApi
{
    /// <summary>The largest <c>data</c> object, serialized (4 KiB, what FCM and APNs carry).</summary>
    public const int MaxDataBytes = 4096;

    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/notify", NotifyAsync).RequireAuthorization(Policies.AppOrAdmin).WithTags("Notifications")
            .WithSummary("Notify a user: one call per event; Notify picks the device")
            .Produces<NotifyResult>(StatusCodes.Status202Accepted).Produces<NotifyResult>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/v1/notifications/{id}", GetAsync).RequireAuthorization(Policies.AppOrAdmin).WithTags("Notifications")
            .WithSummary("Status, deliveries and decision trace of a notification")
            .Produces<NotificationView>().ProducesProblem(StatusCodes.Status404NotFound);
        app.MapPost("/v1/notifications/{id}/ack", AckAsync).RequireAuthorization(Policies.Device).WithTags("Notifications")
            .WithSummary("A device says the user saw, opened or dismissed a notification")
            .Produces<AckResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <remarks>Every field is nullable so a missing one is a 400 naming it, not a deserialization error; <c>userId</c> and
    /// <c>category</c> are <see cref="System.ComponentModel.DataAnnotations.RequiredAttribute"/> for the OpenAPI document.</remarks>
    public sealed record NotifyRequest([property: System.ComponentModel.DataAnnotations.Required] string? UserId,
        [property: System.ComponentModel.DataAnnotations.Required] string? Category, string? Title, string? Body, JsonObject? Data, string? Priority,
        string? IdempotencyKey, string? Ttl, string? CollapseKey);

    public sealed record AckRequest([property: System.ComponentModel.DataAnnotations.Required] AckAction? Action);

    /// <summary>The notification's status after an acknowledgement.</summary>
    public sealed record AckResult(string NotificationId, string Status);

    /// <summary>1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (<see cref="Identifiers.IsCategory"/>).</summary>
    public static bool IsCategory(string name) => Identifiers.IsCategory(name);

    private static async Task<IResult> NotifyAsync(NotifyRequest request, HttpContext context, NotificationHandlers handlers)
    {
        if (!context.TryGetAppScope(out var appId, out var scopeProblem)) return scopeProblem!;
        if (Validate(request, out var command) is { } problem) return problem;
        var outcome = await handlers.Accept.AcceptAsync(appId, command!, context.RequestAborted);
        return outcome switch
        {
            AcceptOutcome.Accepted a => TypedResults.Json(a.Result, ServerJson.Strict, statusCode: 202),
            AcceptOutcome.Duplicate d => Results.Text(d.ResponseJson, "application/json", statusCode: 200),
            AcceptOutcome.Refused r => Problem.Of(r.Code == AcceptOutcome.UserNotFound ? 404 : 422, r.Code, r.Message),
            _ => throw new InvalidOperationException(),
        };
    }

    internal static IResult? Validate(NotifyRequest r, out NotifyCommand? command)
    {
        command = null;
        if (string.IsNullOrWhiteSpace(r.UserId)) return Problem.BadRequest("missing-field", "'userId' is required: the id you gave the user with PUT /v1/users/{id}.", "userId");
        if (r.UserId.Length > 128) return Problem.BadRequest("invalid-field", "'userId' is at most 128 characters.", "userId");
        if (string.IsNullOrWhiteSpace(r.Category)) return Problem.BadRequest("missing-field", "'category' is required (e.g. \"mention\"); it selects the rule.", "category");
        if (!Identifiers.IsCategory(r.Category))
            return Problem.BadRequest("invalid-category", $"'category' is '{r.Category}'; use 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.", "category");
        if (r.Title is { Length: > 256 }) return Problem.BadRequest("invalid-field", "'title' is at most 256 characters.", "title");
        if (r.Body is { Length: > 4000 }) return Problem.BadRequest("invalid-field", "'body' is at most 4,000 characters.", "body");
        if (r.Data is not null && JsonSerializer.SerializeToUtf8Bytes(r.Data).Length > MaxDataBytes)
            return Problem.BadRequest("data-too-large", $"'data' is more than {MaxDataBytes} bytes as JSON; push providers carry no more. Send an id and let the app fetch the rest.", "data");
        Priority? priority = null;
        if (r.Priority is not null)
        {
            if (!Names.TryParse<Priority>(r.Priority, out var p))
                return Problem.BadRequest("invalid-priority", $"'priority' is '{r.Priority}'; use one of {Names.List<Priority>()}.", "priority");
            priority = p;
        }
        TimeSpan? ttl = null;
        if (r.Ttl is not null)
        {
            if (!Durations.TryParse(r.Ttl, out var t) || t <= TimeSpan.Zero)
                return Problem.BadRequest("invalid-duration", $"'ttl' is '{r.Ttl}'; use {Durations.Expected}, greater than zero.", "ttl");
            ttl = t;
        }
        if (r.IdempotencyKey is { Length: 0 or > 256 }) return Problem.BadRequest("invalid-field", "'idempotencyKey' is 1-256 characters.", "idempotencyKey");
        if (r.CollapseKey is { Length: 0 or > 64 }) return Problem.BadRequest("invalid-field", "'collapseKey' is 1-64 characters (the APNs limit).", "collapseKey");
        command = new NotifyCommand(r.UserId, r.Category, r.Title, r.Body, r.Data, priority, r.IdempotencyKey, ttl, r.CollapseKey);
        return null;
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, INotifyStore store)
    {
        var caller = context.Caller();
        var details = await store.GetNotificationAsync(id, context.RequestAborted);
        if (details is null || (caller.Kind != CallerKind.Admin && details.Notification.AppId != caller.AppId))
            return Problem.NotFound("notification", id);
        return TypedResults.Json(NotificationView.From(details), ServerJson.Strict);
    }

    private static async Task<IResult> AckAsync(string id, AckRequest request, HttpContext context, INotifyStore store, NotificationHandlers handlers)
    {
        if (request.Action is null) return Problem.BadRequest("missing-field", "'action' is required: seen, opened or dismissed.", "action");
        var device = await store.GetDeviceAsync(context.Caller().DeviceId!, context.RequestAborted);
        if (device is null) return Problem.NotFound("device", context.Caller().DeviceId!);
        return await handlers.Acks.AcknowledgeAsync(device.Device, id, request.Action.Value, context.RequestAborted) switch
        {
            AckOutcome.Done done => TypedResults.Json(new AckResult(done.NotificationId, Names.Of(done.Status)), ServerJson.Strict),
            _ => Problem.NotFound("notification", id),
        };
    }

    /// <summary>The notification as <c>GET /v1/notifications/{id}</c> shows it.</summary>
    public sealed record NotificationView(string Id, string UserId, string Category, string? Title, string? Body, JsonObject? Data,
        Priority Priority, NotificationStatus Status, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string RuleName, string RuleVersion,
        int Step, string? CollapseKey, string? IdempotencyKey, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy,
        IReadOnlyList<Delivery> Deliveries, IReadOnlyList<TraceEntry> Trace, IReadOnlyList<AttemptView> Attempts)
    {
        public static NotificationView From(NotificationDetails d)
        {
            var n = d.Notification;
            return new(n.Id, n.UserId, n.Category, n.Title, n.Body, n.Data, n.Priority, n.Status, n.CreatedAt, n.ExpiresAt, n.RuleName,
                n.RuleVersion, n.Step, n.CollapseKey, n.IdempotencyKey, n.AcknowledgedAt, n.AcknowledgedBy, d.Deliveries, d.Trace,
                [.. d.Attempts.Select(a => new AttemptView(a.DeliveryId, a.At, a.Provider, Names.Of(a.Outcome), a.Status, a.Reason,
                    Math.Round(a.Latency.TotalMilliseconds, 3)))]);
        }
    }

    /// <summary>One provider call, as the notification shows it.</summary>
    public sealed record AttemptView(string DeliveryId, DateTimeOffset At, string Provider, string Outcome, int? Status, string? Reason, double LatencyMs);
}
