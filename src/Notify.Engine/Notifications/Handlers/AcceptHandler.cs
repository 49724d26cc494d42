using Notify.Engine.Planning;

namespace Notify.Engine.Notifications.Handlers;

/// <summary>A notify call: replay a used idempotency key, else load the user, devices, rule and older notifications
/// with the same collapse key, plan, commit, then send.</summary>
public sealed class AcceptHandler(PlanRunner runner)
{
    public async Task<AcceptOutcome> AcceptAsync(string appId, NotifyCommand command, CancellationToken ct = default)
    {
        var store = runner.Store;
        var ctx = runner.Context(appId, command.UserId);
        if (command.IdempotencyKey is { } key &&
            await store.FindIdempotencyAsync(appId, key, ctx.Now - runner.Options.IdempotencyWindow, ct) is { } hit)
            return new AcceptOutcome.Duplicate(hit.NotificationId, hit.ResponseJson);

        var user = await store.GetUserAsync(appId, command.UserId, ct);
        if (user is null)
            return new AcceptOutcome.Refused(AcceptOutcome.UserNotFound, $"There is no user '{command.UserId}'. Create it first with PUT /v1/users/{command.UserId}.");
        var rule = runner.Rules.Match(command.Category);
        if (rule is null)
            return new AcceptOutcome.Refused(AcceptOutcome.UnknownCategory,
                $"No rule serves the category '{command.Category}' and there is no 'default' rule. Known categories: {string.Join(", ", runner.Rules.Rules.Values.SelectMany(r => r.Categories).Order())}.");

        var devices = await runner.DevicesAsync(appId, user.Id, ct);
        var collapsible = command.CollapseKey is { } collapseKey ? await store.FindOpenByCollapseKeyAsync(appId, user.Id, collapseKey, ct) : [];
        var plan = Planner.Accept(appId, command, user, devices, rule, collapsible, ctx);
        var commit = await runner.RunAsync(plan, ct);
        if (commit is { IsDuplicate: true })
            return new AcceptOutcome.Duplicate(commit.DuplicateOfNotificationId!, commit.DuplicateResponseJson!);
        return new AcceptOutcome.Accepted(plan.Result!, [.. plan.Changes[0].Trace]);
    }
}
