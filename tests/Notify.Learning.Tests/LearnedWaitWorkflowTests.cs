using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Devices;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Timers;
using Notify.Storage.Sqlite;

namespace Notify.Learning.Tests;

/// <summary>A learned wait in the workflow, on a real SQLite file: without history the follow-up is due after the
/// default; an ack teaches the user's response time, and the next notification's follow-up is due that much sooner.</summary>
public sealed class LearnedWaitWorkflowTests : IAsyncLifetime
{
    private const string Rule = """
        name: default
        steps:
          - to: attention
            via: inApp
            wait: { learned: true, min: 1m, max: 10m }
          - to: best
            via: inApp
            wait: 10m
        """;

    private readonly FakeTimeProvider _time = new(Kit.Noon);
    private readonly ResponseTimes _times = new(quantile: 0.8, minSamples: 1);
    private WorkflowOnSqlite _kit = null!;

    public async Task InitializeAsync() => _kit = await WorkflowOnSqlite.CreateAsync(Rule, _time, _times);

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task Accept_NoHistory_FollowUpDueAfterTheDefault()
    {
        var accepted = Assert.IsType<AcceptOutcome.Accepted>(await _kit.Workflow.Accept.AcceptAsync("app", Command()));

        Assert.DoesNotContain(_kit.Schedule.TakeDue(Kit.Noon.AddMinutes(9)), t => t.Kind == TimerKind.FollowUp);
        var due = Assert.Single(_kit.Schedule.TakeDue(Kit.Noon.AddMinutes(10)), t => t.Kind == TimerKind.FollowUp);
        Assert.Equal(accepted.Result.NotificationId, due.NotificationId);
        var details = await _kit.Store.GetNotificationAsync(accepted.Result.NotificationId);
        Assert.Contains(details!.Trace, t => t.Message.Contains("no response history for this user yet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ack_ThenAccept_FollowUpDueAfterTheLearnedTime()
    {
        var first = Assert.IsType<AcceptOutcome.Accepted>(await _kit.Workflow.Accept.AcceptAsync("app", Command()));
        _time.Advance(TimeSpan.FromSeconds(90));
        await _kit.Workflow.Acks.AcknowledgeAsync(_kit.Phone, first.Result.NotificationId, AckAction.Seen);
        Assert.Equal(TimeSpan.FromSeconds(90), _times.Typical("app", "ana"));

        var second = Assert.IsType<AcceptOutcome.Accepted>(await _kit.Workflow.Accept.AcceptAsync("app", Command()));
        var sentAt = _time.GetUtcNow();

        Assert.DoesNotContain(_kit.Schedule.TakeDue(sentAt.AddSeconds(89)), t => t.NotificationId == second.Result.NotificationId && t.Kind == TimerKind.FollowUp);
        Assert.Single(_kit.Schedule.TakeDue(sentAt.AddSeconds(90)), t => t.NotificationId == second.Result.NotificationId && t.Kind == TimerKind.FollowUp);
    }

    private static NotifyCommand Command() => WorkflowOnSqlite.Command();
}
