using Notify.Bench.Simulation;

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
}
