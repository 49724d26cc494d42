using Microsoft.Extensions.Time.Testing;
using Notify.Engine.Devices;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Timers;
using Notify.Storage.Sqlite;

namespace Notify.Learning.Tests;

/// <summary>The workflow's outcome hooks, end to end on a real SQLite file: a decision records the features of each
/// delivery, an ack resolves them, a follow-up marks the unseen step.</summary>
public sealed class WorkflowOutcomesTests : IAsyncLifetime
{
    private const string Rule = """
        name: default
        steps:
          - to: attention
            via: inApp
            wait: 2m
          - to: best
            via: inApp
            wait: 10m
        """;

    private readonly FakeTimeProvider _time = new(Kit.Noon);
    private WorkflowOnSqlite _kit = null!;

    public async Task InitializeAsync() => _kit = await WorkflowOnSqlite.CreateAsync(Rule, _time, null, Kit.Device("laptop", Platform.Desktop).Device with { TokenHash = "h2" });

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task Accept_ThenAck_RecordsTheFeaturesAndTheResponse()
    {
        var accepted = Assert.IsType<AcceptOutcome.Accepted>(await _kit.Workflow.Accept.AcceptAsync("app", Command()));
        _time.Advance(TimeSpan.FromSeconds(40));
        await _kit.Workflow.Acks.AcknowledgeAsync(_kit.Phone, accepted.Result.NotificationId, AckAction.Opened);
        await _kit.Store.FlushOutcomesAsync();

        var outcome = Assert.Single(await _kit.Store.ReadOutcomesAsync());
        Assert.Equal("phone", outcome.Start.DeviceId);
        Assert.Equal("active", outcome.Start.Features.Presence);
        Assert.Equal("inApp", outcome.Start.Features.Channel);
        Assert.Equal(TimeSpan.FromMinutes(2), outcome.Start.Wait);
        Assert.Equal(OutcomeKind.Opened, outcome.Outcome);
        Assert.True(outcome.Responded);
    }

    [Fact]
    public async Task FollowUp_Unseen_MarksTheStepAndRecordsTheNextDelivery()
    {
        await _kit.Workflow.Accept.AcceptAsync("app", Command());
        _time.Advance(TimeSpan.FromMinutes(2));
        foreach (var timer in _kit.Schedule.TakeDue(_time.GetUtcNow())) await _kit.Workflow.Timers.FireAsync(timer);
        await _kit.Store.FlushOutcomesAsync();

        var outcomes = await _kit.Store.ReadOutcomesAsync();
        Assert.Equal(2, outcomes.Count);
        Assert.Equal(OutcomeKind.FollowedUp, outcomes.Single(o => o.Start.Features.Step == 0).Outcome);
        var second = outcomes.Single(o => o.Start.Features.Step == 1);
        Assert.Null(second.Outcome);
        Assert.Equal(TimeSpan.FromMinutes(10), second.Start.Wait);
    }

    [Fact]
    public async Task ReadResponses_OnlyTheResponsesDecidedSince_WithTheirTimes()
    {
        var accepted = Assert.IsType<AcceptOutcome.Accepted>(await _kit.Workflow.Accept.AcceptAsync("app", Command()));
        await _kit.Workflow.Accept.AcceptAsync("app", Command() with { Title = "unanswered" });
        _time.Advance(TimeSpan.FromSeconds(40));
        await _kit.Workflow.Acks.AcknowledgeAsync(_kit.Phone, accepted.Result.NotificationId, AckAction.Seen);
        await _kit.Store.FlushOutcomesAsync();

        var response = Assert.Single(await _kit.Store.ReadResponsesAsync(Kit.Noon.AddDays(-30)));
        Assert.Equal(new ResponseRecord("app", "ana", Kit.Noon, Kit.Noon.AddSeconds(40)), response);
        Assert.Empty(await _kit.Store.ReadResponsesAsync(Kit.Noon.AddSeconds(1)));
    }

    private static NotifyCommand Command() => WorkflowOnSqlite.Command();
}
