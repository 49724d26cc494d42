using Notify.Engine.Rules;

namespace Notify.Engine.Tests.Rules;

public class RuleSetTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private static string Yaml(string categories, string via = "inApp", string? name = null) =>
        (name is null ? "" : $"name: {name}\n") + $"match: {{ categories: [{categories}] }}\nsteps:\n  - to: best\n    via: {via}\n";

    private const string Default = "steps:\n  - to: best\n    via: inApp\n";
    private const string Broken = "match: { category: mention }\nsteps:\n  - to: nobody\n    via: inApp\n";

    private static RuleFileChange F(string file, string? source) => new(file, source);

    [Fact]
    public void Apply_NewFiles_GoLive_AndMatchByCategoryElseDefault()
    {
        var set = new RuleSet();

        var update = set.Apply([F("default.yaml", Default), F("mention.yaml", Yaml("mention, reply"))], T0);

        Assert.True(update.Changed);
        Assert.Equal(2, update.Activated.Count);
        Assert.Equal("mention", set.Match("reply")!.Name);
        Assert.Equal("default", set.Match("billing")!.Name);
        Assert.Equal(T0, set.Files["mention.yaml"].UpdatedAt);
        Assert.Empty(set.Problems);
    }

    [Fact]
    public void Apply_BrokenEdit_KeepsLastGoodVersion_WithEveryProblem()
    {
        var set = new RuleSet();
        set.Apply([F("mention.yaml", Yaml("mention"))], T0);
        var good = set.Rules["mention"];

        var update = set.Apply([F("mention.yaml", Broken)], T0.AddMinutes(1));

        var file = set.Files["mention.yaml"];
        Assert.Same(good, file.Active);
        Assert.Same(good, set.Match("mention"));
        Assert.Null(file.Latest);
        Assert.Equal(T0, file.UpdatedAt);
        Assert.Equal(T0.AddMinutes(1), file.RefusedAt);
        var problem = Assert.Single(file.Problems);
        Assert.Equal(("mention.yaml", 3), (problem.File, problem.Line));
        Assert.Contains("unknown target 'nobody'", problem.Message);
        Assert.Same(file, Assert.Single(update.Refused));
        Assert.Equal(file.Problems, set.Problems);
    }

    [Fact]
    public void Apply_BrokenThenFixed_ClearsTheProblems()
    {
        var set = new RuleSet();
        set.Apply([F("mention.yaml", Yaml("mention"))], T0);
        set.Apply([F("mention.yaml", Broken)], T0);

        set.Apply([F("mention.yaml", Yaml("mention", via: "push"))], T0.AddMinutes(2));

        var file = set.Files["mention.yaml"];
        Assert.Empty(file.Problems);
        Assert.Null(file.RefusedAt);
        Assert.Equal(T0.AddMinutes(2), file.UpdatedAt);
        Assert.Empty(set.Problems);
    }

    [Fact]
    public void Apply_SameContent_IsANoOp()
    {
        var set = new RuleSet();
        set.Apply([F("mention.yaml", Yaml("mention"))], T0);
        var generation = set.Generation;

        var update = set.Apply([F("mention.yaml", Yaml("mention"))], T0.AddMinutes(5));

        Assert.False(update.Changed);
        Assert.Equal(generation, set.Generation);
        Assert.Equal(T0, set.Files["mention.yaml"].UpdatedAt);
    }

    [Fact]
    public void Apply_NewVersion_OldVersionStaysFindable()
    {
        var set = new RuleSet();
        set.Apply([F("mention.yaml", Yaml("mention"))], T0);
        var v1 = set.Rules["mention"].Version;

        set.Apply([F("mention.yaml", Yaml("mention", via: "push"))], T0);
        set.Apply([F("mention.yaml", null)], T0);

        Assert.False(set.Rules.ContainsKey("mention"));
        Assert.NotNull(set.FindVersion(v1));
        Assert.Null(set.Match("mention"));
    }

    [Fact]
    public void Apply_Delete_RemovesTheRuleAndItsProblems()
    {
        var set = new RuleSet();
        set.Apply([F("default.yaml", Default), F("broken.yaml", Broken)], T0);
        Assert.Single(set.Problems);

        var update = set.Apply([F("broken.yaml", null), F("default.yaml", null)], T0);

        Assert.Equal(2, update.Removed.Count);
        Assert.Empty(set.Files);
        Assert.Empty(set.Problems);
        Assert.Empty(set.Rules);
    }

    [Fact]
    public void Apply_FirstLoad_FirstFileInNameOrderWinsACategory()
    {
        var set = new RuleSet();

        set.Apply([F("b.yaml", Yaml("mention")), F("a.yaml", Yaml("reply, mention"))], T0);

        Assert.Equal("a", set.Match("mention")!.Name);
        var refused = set.Files["b.yaml"];
        Assert.Null(refused.Active);
        Assert.Equal("b", refused.Name);
        Assert.Contains("already served by rule 'a' (a.yaml)", Assert.Single(refused.Problems).Message);
    }

    [Fact]
    public void Apply_NewcomerClaimsALiveCategory_IsRefused_LiveRuleStays()
    {
        var set = new RuleSet();
        set.Apply([F("mention.yaml", Yaml("mention"))], T0);

        set.Apply([F("aaa.yaml", Yaml("mention"))], T0);

        Assert.Equal("mention", set.Match("mention")!.Name);
        Assert.Contains("already served by rule 'mention'", Assert.Single(set.Files["aaa.yaml"].Problems).Message);
    }

    [Fact]
    public void Apply_CategoryLetGo_AWaitingFileGoesLive_WhateverTheNameOrder()
    {
        var set = new RuleSet();
        set.Apply([F("zzz.yaml", Yaml("mention")), F("aaa.yaml", Yaml("mention"))], T0);
        Assert.Equal("aaa", set.Match("mention")!.Name);

        var update = set.Apply([F("aaa.yaml", Yaml("reply"))], T0.AddMinutes(1));

        Assert.Equal("zzz", set.Match("mention")!.Name);
        Assert.Equal("aaa", set.Match("reply")!.Name);
        Assert.Empty(set.Problems);
        Assert.Equal(["aaa", "zzz"], update.Activated.Select(r => r.Name).Order());
    }

    [Fact]
    public void Apply_EditClaimsATakenCategory_KeepsItsLastGoodVersion()
    {
        var set = new RuleSet();
        set.Apply([F("mention.yaml", Yaml("mention")), F("reply.yaml", Yaml("reply"))], T0);
        var good = set.Rules["reply"];

        set.Apply([F("reply.yaml", Yaml("reply, mention"))], T0);

        Assert.Same(good, set.Rules["reply"]);
        Assert.Equal("mention", set.Match("mention")!.Name);
        Assert.Contains("'mention' is already served", Assert.Single(set.Files["reply.yaml"].Problems).Message);
    }

    [Fact]
    public void Apply_TwoFilesDefineOneName_TheSecondIsRefused()
    {
        var set = new RuleSet();

        set.Apply([F("a.yaml", Yaml("x", name: "shared")), F("b.yaml", Yaml("y", name: "shared"))], T0);

        Assert.Equal("a.yaml", set.Rules["shared"].File);
        Assert.Contains("already defines the rule 'shared' (a.yaml)", Assert.Single(set.Problems).Message);
    }

    [Fact]
    public void Conflicts_IgnoreTheRulesOwnFile_AndNameEveryTakenCategory()
    {
        var set = new RuleSet();
        set.Apply([F("mention.yaml", Yaml("mention")), F("reply.yaml", Yaml("reply"))], T0);
        var candidate = RuleParser.Parse(Yaml("mention, reply"), "mention", "mention.yaml").Rule!;

        var problems = set.Conflicts(candidate, "mention.yaml");

        Assert.Contains("'reply' is already served by rule 'reply'", Assert.Single(problems).Message);
    }

    [Fact]
    public void FindFile_ByRuleName_EvenForAFileThatNeverLoaded()
    {
        var set = new RuleSet();
        set.Apply([F("renamed.yaml", Yaml("x", name: "real")), F("broken.yaml", Broken)], T0);

        Assert.Equal("renamed.yaml", set.FindFile("real")!.File);
        Assert.Equal("broken.yaml", set.FindFile("broken")!.File);
        Assert.Null(set.FindFile("renamed"));
    }

    [Fact]
    public async Task WaitUntilAsync_CompletesWhenAChangeMakesItTrue()
    {
        var set = new RuleSet();
        var waiting = set.WaitUntilAsync(s => s.Rules.ContainsKey("mention"), new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.False(waiting.IsCompleted);

        set.Apply([F("other.yaml", Yaml("other"))], T0);
        set.Apply([F("mention.yaml", Yaml("mention"))], T0);

        await waiting;
    }

    [Fact]
    public void Replace_KeepsFolderProblems_AndItsRulesServe()
    {
        var set = new RuleSet();
        var rule = RuleParser.Parse(Default, "default").Rule!;

        set.Replace([rule], [new RuleProblem("rules", 0, 0, "missing")]);

        Assert.Same(rule, set.Match("anything"));
        Assert.Equal("missing", Assert.Single(set.Problems).Message);
    }
}
