using Notify.Engine.Notifications.Handlers;
using Microsoft.Extensions.Options;
using Notify.Engine.Devices;
using Notify.Engine.Model;
using Notify.Engine.Storage;
using Notify.Server.Auth;
using Notify.Server.Problems;
using Notify.Server.Realtime;
using static Notify.Server.Api.UsersApi;

namespace Notify.Server.Api;

/// <summary>Device registration, update, removal and the plain-HTTP state report.</summary>
public static class DevicesApi
{
    public static IEndpointRouteBuilder MapDevicesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/users/{userId}/devices", RegisterAsync).RequireAuthorization(Policies.AppOrAdmin).WithTags("Devices")
            .WithSummary("Register a device; the answer holds its device token, shown only this once")
            .Produces<Registered>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapPatch("/v1/devices/{deviceId}", UpdateAsync).RequireAuthorization(Policies.AppOrDeviceOrAdmin).WithTags("Devices")
            .WithSummary("Change a device's name or push registration")
            .Produces<UsersApi.DeviceView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapDelete("/v1/devices/{deviceId}", DeleteAsync).RequireAuthorization(Policies.AppOrAdmin).WithTags("Devices")
            .WithSummary("Forget a device and revoke its token (its connections close)")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapPost("/v1/devices/{deviceId}/state", ReportStateAsync).RequireAuthorization(Policies.Device).WithTags("Devices")
            .WithSummary("A device reports its state over plain HTTP (same fields as the realtime state message)")
            .Produces<DeviceState>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public sealed record PushRequest(string? Provider, string? Token, string? Topic, string? Environment);

    public sealed record RegisterRequest([property: System.ComponentModel.DataAnnotations.Required] Platform? Platform, string? Name, PushRequest? Push);

    public sealed record UpdateRequest(string? Name, PushRequest? Push);

    public sealed record Registered(string DeviceId, string DeviceToken);

    public static DeviceView View(DeviceSnapshot d) => new(d.Device.Id, d.Device.Platform, d.Device.Name,
        d.Device.Push is { } p ? new PushView(p.Provider, p.Topic, p.Environment) : null, d.Device.CreatedAt, d.State);

    private static async Task<IResult> RegisterAsync(string userId, RegisterRequest request, HttpContext context, INotifyStore store, TimeProvider time)
    {
        if (!context.TryGetAppScope(out var appId, out var scopeProblem)) return scopeProblem!;
        if (request.Platform is null)
            return Problem.BadRequest("missing-field", $"'platform' is required: one of {Names.List<Platform>()}.", "platform");
        if (request.Name is { Length: > 100 }) return Problem.BadRequest("invalid-field", "'name' is at most 100 characters.", "name");
        if (ValidatePush(request.Push, out var push) is { } pushProblem) return pushProblem;
        if (await store.GetUserAsync(appId, userId, context.RequestAborted) is null)
            return Problem.Of(404, "user-not-found", $"There is no user '{userId}'. Create it first with PUT /v1/users/{userId}.");

        var now = time.UtcNow();
        var (token, hash) = DeviceTokens.Issue();
        var device = new Device(Ids.New("dev", now), appId, userId, request.Platform.Value, request.Name, push, hash, now);
        await store.AddDeviceAsync(device, context.RequestAborted);
        return TypedResults.Json(new Registered(device.Id, token), ServerJson.Strict, statusCode: 201);
    }

    private static IResult? ValidatePush(PushRequest? request, out PushRegistration? push)
    {
        push = null;
        if (request is null) return null;
        if (request.Provider is not ("fcm" or "apns"))
            return Problem.BadRequest("invalid-push", $"'push.provider' is '{request.Provider}'; use fcm or apns.", "push.provider");
        if (string.IsNullOrWhiteSpace(request.Token) || request.Token.Length > 4096)
            return Problem.BadRequest("invalid-push", "'push.token' is required: the FCM registration token or the APNs device token.", "push.token");
        if (request.Environment is not (null or "production" or "development"))
            return Problem.BadRequest("invalid-push", "'push.environment' is production or development (the APNs sandbox).", "push.environment");
        push = new PushRegistration(request.Provider, request.Token, request.Topic, request.Environment);
        return null;
    }

    private static async Task<(StoredDevice? Device, IResult? Problem)> FindOwnAsync(string deviceId, HttpContext context, INotifyStore store)
    {
        var caller = context.Caller();
        var device = await store.GetDeviceAsync(deviceId, context.RequestAborted);
        var visible = device is not null && caller.Kind switch
        {
            CallerKind.Admin => true,
            CallerKind.App => device.Device.AppId == caller.AppId,
            _ => device.Device.Id == caller.DeviceId,
        };
        return visible ? (device, null) : (null, Problem.NotFound("device", deviceId));
    }

    private static async Task<IResult> UpdateAsync(string deviceId, UpdateRequest request, HttpContext context, INotifyStore store, DeviceStateTracker tracker)
    {
        var (device, problem) = await FindOwnAsync(deviceId, context, store);
        if (device is null) return problem!;
        if (request.Name is { Length: > 100 }) return Problem.BadRequest("invalid-field", "'name' is at most 100 characters.", "name");
        if (ValidatePush(request.Push, out var push) is { } pushProblem) return pushProblem;
        var updated = device.Device with { Name = request.Name ?? device.Device.Name, Push = push ?? device.Device.Push };
        await store.UpdateDeviceAsync(updated, context.RequestAborted);
        return TypedResults.Json(View(tracker.Snapshot(device with { Device = updated })), ServerJson.Strict);
    }

    private static async Task<IResult> DeleteAsync(string deviceId, HttpContext context, INotifyStore store, DeviceStateTracker tracker, ConnectionHub hub)
    {
        var (device, problem) = await FindOwnAsync(deviceId, context, store);
        if (device is null) return problem!;
        await store.DeleteDeviceAsync(deviceId, context.RequestAborted);
        tracker.Forget(deviceId);
        hub.Abort(deviceId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ReportStateAsync(string deviceId, StateRequest request, HttpContext context, INotifyStore store,
        DeviceStateTracker tracker, NotificationHandlers handlers, TimeProvider time, ConnectionHub hub, IOptions<RealtimeOptions> realtime)
    {
        var (device, problem) = await FindOwnAsync(deviceId, context, store);
        if (device is null) return problem!;
        // The same per-device budget as the realtime state message (docs/api.md §4).
        if (!hub.TryTakeStateReport(device.Device.Id))
            return Problem.Of(StatusCodes.Status429TooManyRequests, "rate-limited", $"Too many state reports: at most {realtime.Value.StateReportBurst} " +
                $"at once, then one every {realtime.Value.StateReportInterval.TotalSeconds:0.###}s. This one was dropped; send the latest state again later.");
        var report = request.ToStateReport();
        if (report.Validate() is { } error) return Problem.BadRequest("invalid-state", error.Message, error.Field);
        var state = tracker.Report(device, report, time.UtcNow());
        await handlers.Holds.DeviceChangedAsync(device.Device, context.RequestAborted);
        return TypedResults.Json(state, ServerJson.Strict);
    }
}
