using NodaTime;
using Notify.Bench.Simulation;
using Notify.Engine.QuietHours;

namespace Notify.Learning.Tests;

public class SimulatorTests
{
    private static readonly PolicyKind[] Policies = [PolicyKind.FanOut, PolicyKind.MostRecent, PolicyKind.SlackStyle, PolicyKind.NotifyRules];

    private static IReadOnlyList<(PolicyKind Policy, PolicyTally Tally)> Run(int seed) =>
        SimulateCommand.Run(new SimulateCommand.Options(seed, 6, 2, 10, null, null, null, null),
            SimulateCommand.LoadRules(Path.Combine(SimulateCommand.RepoRoot(), "rules")), Policies, null, null);

    [Fact]
    public void Run_SameSeed_SameResults()
    {
        var a = Run(11);
        var b = Run(11);
        Assert.True(a[0].Tally.Events > 0);
        Assert.Equal(SimulateCommand.Table(a), SimulateCommand.Table(b));
        for (var i = 0; i < a.Count; i++) Assert.Equal(a[i].Tally.TimeToSeen, b[i].Tally.TimeToSeen);
    }

    [Fact]
    public void Run_Breakdown_SameSeedSameReport_EveryEventCounted()
    {
        string Report()
        {
            var breakdown = new SimulationBreakdown();
            var results = SimulateCommand.Run(new SimulateCommand.Options(11, 6, 2, 10, null, null, null, null),
                SimulateCommand.LoadRules(Path.Combine(SimulateCommand.RepoRoot(), "rules")), Policies, null, null, breakdown);
            Assert.All(results, r => Assert.Null(r.Tally.Notes));
            return breakdown.Report(Policies) + $"events {results[0].Tally.Events:N0}";
        }

        var a = Report();
        Assert.Equal(a, Report());
        var events = a[(a.LastIndexOf("events ", StringComparison.Ordinal) + 7)..];
        // Every policy's "all" line counts every event, so the groups cover the whole stream.
        Assert.Equal(Policies.Length, a.Split('\n').Count(l => l.StartsWith($"| **all** | {events} (100.0 %)", StringComparison.Ordinal)));
    }

    [Fact]
    public void Run_OtherSeed_OtherPopulation()
    {
        Assert.NotEqual(Run(11)[0].Tally.TimeToSeen, Run(12)[0].Tally.TimeToSeen);
    }

    [Fact]
    public void Run_FanOut_InterruptsMoreThanNotify_MostRecentAtMostOnce()
    {
        var results = Run(11).ToDictionary(r => r.Policy, r => r.Tally);
        Assert.True(results[PolicyKind.FanOut].Interruptions > results[PolicyKind.NotifyRules].Interruptions);
        Assert.True(results[PolicyKind.MostRecent].Interruptions <= results[PolicyKind.MostRecent].Events, "most-recent sends at most once per event");
    }

    [Fact]
    public void Build_EveryUser_HasTwoToFourDevicesAndAPhone()
    {
        for (var i = 0; i < 50; i++)
        {
            var user = Population.Build(5, i, 1, 10);
            Assert.InRange(user.Devices.Count, 2, 4);
            Assert.Contains(user.Devices, d => d.Kind == DeviceKind.Phone);
        }
    }

    private static readonly PolicyKind[] QuietRespecting =
        [PolicyKind.FanOut, PolicyKind.MostRecent, PolicyKind.SlackStyle, PolicyKind.NotifyRules];

    [Fact]
    public void Run_QuietHoursBaselines_SendNothingAlertingInQuietHours_TheReferenceFanOutDoes()
    {
        var results = SimulateCommand.Run(new SimulateCommand.Options(11, 40, 2, 10, null, null, null, null),
            SimulateCommand.LoadRules(Path.Combine(SimulateCommand.RepoRoot(), "rules")),
            [.. QuietRespecting, PolicyKind.FanOutIgnoringQuietHours], null, null).ToDictionary(r => r.Policy, r => r.Tally);

        foreach (var policy in QuietRespecting) Assert.Equal(0, results[policy].QuietViolations);
        // The same population without the hold buzzes in quiet hours: the metric would catch a baseline that did.
        Assert.True(results[PolicyKind.FanOutIgnoringQuietHours].QuietViolations > 0);
        Assert.True(results[PolicyKind.FanOutIgnoringQuietHours].Interruptions >= results[PolicyKind.FanOut].Interruptions);
    }

    [Theory]
    [InlineData("FanOut")]
    [InlineData("MostRecent")]
    [InlineData("SlackStyle")]
    [InlineData("NotifyRules")]
    public void Run_EventAt3AmInQuietHours_HeldUntilTheyEndAt7(string name)
    {
        var policy = Enum.Parse<PolicyKind>(name);
        var (user, at3) = UserWithOneEvent("comment", allowCritical: false);

        var tally = new Simulator(11, Rules()) { Explain = true }.Run(user, policy);

        var note = Assert.Single(tally.Notes!);
        Assert.Equal(240, note.Held); // 03:00 → 07:00 local, nothing before
        Assert.Equal(0, tally.QuietViolations);
        Assert.True(tally.Deliveries > 0, $"delivered after quiet hours ({note.First})");
        Assert.Equal(at3 + 240, Simulator.AfterQuietHours(user, Engine.Model.Priority.Normal, at3, int.MaxValue));
    }

    [Theory]
    [InlineData("FanOut")]
    [InlineData("MostRecent")]
    [InlineData("SlackStyle")]
    public void Run_CriticalAlertAt3Am_UserAllowsCritical_SentAtOnce(string name)
    {
        var policy = Enum.Parse<PolicyKind>(name);
        var (user, _) = UserWithOneEvent("security-alert", allowCritical: true);

        var tally = new Simulator(11, Rules()) { Explain = true }.Run(user, policy);

        Assert.Equal(0, Assert.Single(tally.Notes!).Held);
        Assert.True(tally.Deliveries > 0);
    }

    [Fact]
    public void Run_EventAt3Am_TtlEndsBeforeQuietHours_BaselinesSendNothing()
    {
        // A security alert lives 2 hours: held from 03:00, it expires at 05:00, before quiet hours end at 07:00.
        var (user, at3) = UserWithOneEvent("security-alert", allowCritical: false);

        foreach (var policy in QuietRespecting)
        {
            var tally = new Simulator(11, Rules()).Run(user, policy);
            Assert.Equal(0, tally.Deliveries);
            Assert.True(double.IsPositiveInfinity(Assert.Single(tally.TimeToSeen)));
        }
        Assert.Equal(at3 + 240, Simulator.AfterQuietHours(user, Engine.Model.Priority.Critical, at3, at3 + 120)); // past the TTL: nothing
    }

    [Fact]
    public void Run_Notify_DeviceHoldNeverReady_GivesUpAfterTheStepsWait_NextStepThen()
    {
        // Step 1 waits for a device that never becomes ready; the planner's give-up (the hold's GiveUpAt, the end of the
        // step's 30-minute wait) must take step 2 then, not hold until the TTL nor pass step 1 over at once.
        var dir = Directory.CreateTempSubdirectory("sim-rules-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "default.yaml"), """
                name: default
                quietHours: hold
                steps:
                  - to: best
                    via: inApp
                    defer: { until: "device.battery.level > 2.0" }
                    wait: 30m
                  - to: best
                    via: push
                """);
            var (user, _) = UserWithOneEvent("comment", allowCritical: false, localHour: 12);

            var tally = new Simulator(11, SimulateCommand.LoadRules(dir)) { Explain = true }.Run(user, PolicyKind.NotifyRules);

            var note = Assert.Single(tally.Notes!);
            Assert.Equal(30, note.Held);
            Assert.StartsWith("rule default, step 2, push", note.First, StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static Engine.Rules.RuleSet Rules() => SimulateCommand.LoadRules(Path.Combine(SimulateCommand.RepoRoot(), "rules"));

    /// <summary>A simulated user with quiet hours 22:00-07:00 (allowing critical or not) and one event at 03:00 local (or
    /// <paramref name="localHour"/>) on the second day; returns the user and the event's minute.</summary>
    private static (SimUser User, int Minute) UserWithOneEvent(string category, bool allowCritical, int localHour = 3)
    {
        var built = Population.Build(5, 0, 2, 10);
        var quiet = QuietHoursParser.TryParse([new QuietWindowInput(["daily"], "22:00", "07:00")], null, allowCritical ? ["critical"] : [], out var errors)
                    ?? throw new InvalidOperationException(string.Join("; ", errors.Select(e => e.Message)));
        var at3 = new LocalDateTime(2026, 5, 5, localHour, 0).InZoneLeniently(built.Zone).ToDateTimeOffset();
        var minute = (int)(at3 - Population.Start).TotalMinutes;
        return (new SimUser
        {
            Index = built.Index,
            User = built.User with { QuietHours = quiet },
            Zone = built.Zone,
            Devices = built.Devices,
            Asleep = built.Asleep,
            Contexts = built.Contexts,
            Events = [new SimEvent(0, minute, category, null)],
        }, minute);
    }
}
