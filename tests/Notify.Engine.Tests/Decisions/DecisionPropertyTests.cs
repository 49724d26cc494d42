using System.Globalization;
using CsCheck;
using NodaTime;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;

namespace Notify.Engine.Tests.Decisions;

/// <summary>
/// Invariants of the decision over random users (quiet-hour windows in zones with and without daylight saving, snoozes,
/// allow lists, preferences), random devices (0 to 5, any state), random notifications and a random instant in 2026
/// (a third of them within a day of a daylight-saving change), over five fixed rules that use <c>all</c>, <c>choose</c>,
/// every <c>defer</c>, regions and each <c>quietHours</c> mode. CsCheck shrinks a failure and prints the case and a seed.
/// </summary>
public class DecisionPropertyTests
{
    private const int Iterations = 5000;

    private static readonly string[] Zones = ["Europe/Lisbon", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"];
    private static readonly DateTimeOffset Year = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset[] Transitions = [.. Zones
        .SelectMany(z => DateTimeZoneProviders.Tzdb[z].GetZoneIntervals(Instant.FromDateTimeOffset(Year), Instant.FromDateTimeOffset(Year.AddYears(1))))
        .Where(i => i.HasStart && i.Start > Instant.FromDateTimeOffset(Year))
        .Select(i => i.Start.ToDateTimeOffset())
        .Distinct()
        .Order()];

    private const double OfficeLat = 38.7223, OfficeLon = -9.1393;

    private static readonly Rule[] Rules = [.. new[]
    {
        // 0: Slack-like, one device at a time; held in quiet hours.
        """
        name: slack
        quietHours: hold
        steps:
          - to: attention
            via: inApp
            wait: 2m
          - to: best
            where: device.platform in ['ios', 'android']
            via: push
            wait: 15m
          - to: user
            via: email
            when: notification.priority != 'low'
        """,
        // 1: an alarm: explicit fan-out, repeated; held in quiet hours.
        """
        name: alarm
        quietHours: hold
        repeat: 3
        steps:
          - to: all
            via: push
            where: device.platform != 'watch'
            wait: 5m
          - to: all
            via: inApp
            wait: 5m
        """,
        // 2: if / else-if / else, delivered silently in quiet hours.
        """
        name: chat
        quietHours: silent
        steps:
          - choose:
              - when: notification.priority == 'critical'
                to: all
                via: inApp
              - when: local.hour >= 9 && local.hour < 18
                to: attention
                via: inApp
              - to: best
                via: push
            wait: 5m
          - to: user
            via: email
        """,
        // 3: every deferral; quiet hours otherwise ignored.
        """
        name: digest
        quietHours: ignore
        steps:
          - to: best
            via: inApp
            defer: { until: wifi }
            wait: 10m
          - to: best
            via: push
            defer: { for: 30m }
            wait: 1h
          - to: attention
            via: inApp
            defer: { until: quietHoursEnd }
            wait: 5m
          - to: all
            via: push
            defer: { until: charging }
            wait: 1h
          - to: user
            via: email
        """,
        // 4: location-bound.
        """
        name: geo
        quietHours: hold
        regions:
          office: { lat: 38.7223, lon: -9.1393, radius: 200m }
        steps:
          - to: best
            via: push
            where: "'office' in device.regions"
            wait: 10m
          - to: all
            via: inApp
            where: distance(device.location, 38.7223, -9.1393) < 5000.0
            wait: 10m
          - to: user
            via: email
        """,
    }.Select(DecisionTestKit.Parse)];

    private sealed record DeviceSpec(Platform Platform, bool Online, Presence? Presence, bool? Foreground, BatteryState? Battery,
        ConnectivityState? Connectivity, GeoLocation? Location, int? ActiveSecondsAgo, bool Push);

    private static readonly Gen<QuietWindow> GenWindow = Gen.Select(Gen.Int[1, 127], Gen.Int[0, 95], Gen.Int[0, 95], (days, from, to) =>
        new QuietWindow([.. Enumerable.Range(0, 7).Where(d => (days & (1 << d)) != 0).Select(d => (IsoDayOfWeek)(d + 1))],
            LocalTime.Midnight.PlusMinutes(from * 15), LocalTime.Midnight.PlusMinutes(to * 15)));

    private static readonly Gen<CategoryPreference?> GenPreference = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 7], Gen.Int[0, 7], (mode, listed, on) =>
        mode < 5 ? null : new CategoryPreference(mode == 9,
            listed == 0 ? null : Enum.GetValues<Channel>().Where(c => (listed & (1 << (int)c)) != 0).ToDictionary(c => c, c => (on & (1 << (int)c)) != 0)));

    private static readonly Gen<BatteryState?> GenBattery = Gen.Select(Gen.Int[0, 3], Gen.Double[0, 1], Gen.Bool, Gen.Int[0, 4], (known, level, charging, low) =>
        known == 0 ? null : new BatteryState(Math.Round(level, 2), charging, low == 0));

    private static readonly Gen<ConnectivityState?> GenConnectivity = Gen.Select(Gen.Int[0, 4], Gen.Enum<ConnectivityType>(), Gen.Bool, (known, type, metered) =>
        known == 0 ? null : new ConnectivityState(type, metered));

    private static readonly Gen<GeoLocation?> GenLocation = Gen.OneOf<GeoLocation?>(null, null,
        new GeoLocation(OfficeLat, OfficeLon, 5), new GeoLocation(OfficeLat + 0.0009, OfficeLon, 20),
        new GeoLocation(OfficeLat + 0.0027, OfficeLon, 20), new GeoLocation(OfficeLat + 0.02, OfficeLon, 50), new GeoLocation(41.1579, -8.6291, 30));

    private static readonly Gen<DeviceSpec> GenDevice = Gen.Select(Gen.Enum<Platform>(), Gen.Bool, Gen.Int[0, 3], Gen.Int[0, 2], GenBattery,
        GenConnectivity, GenLocation, Gen.Int[-1, 7200], Gen.Int[0, 3], (platform, online, presence, foreground, battery, net, location, ago, push) =>
            new DeviceSpec(platform, online, presence == 3 ? null : (Presence)presence, foreground == 2 ? null : foreground == 1, battery, net, location,
                ago < 0 ? null : ago, push != 0));

    // A third of the instants fall within 12 hours of a daylight-saving change in one of the zones.
    private static readonly Gen<DateTimeOffset> GenNow = Gen.Frequency(
        (2, Gen.Int[0, 365 * 24 * 60 - 1].Select(m => Year.AddMinutes(m))),
        (1, Gen.Select(Gen.Int[0, Transitions.Length - 1], Gen.Int[-12 * 60, 12 * 60], (t, m) => Transitions[t].AddMinutes(m))));

    private static readonly Gen<DecisionInput> GenInput =
        from rule in Gen.Int[0, Rules.Length - 1].Select(i => Rules[i])
        from zone in Gen.OneOf(Zones)
        from windows in GenWindow.Array[0, 3]
        from snooze in Gen.Select(Gen.Int[0, 3], Gen.Int[-120, 720], (k, m) => k == 0 ? (int?)m : null)
        from allow in Gen.Int[0, 15]
        from preferences in Gen.Select(GenPreference, GenPreference, (mention, any) => (mention, any))
        from email in Gen.Int[0, 4]
        from specs in GenDevice.Array[0, 5]
        from notification in Gen.Select(Gen.Enum<Priority>(), Gen.Int[1, 48 * 60], Gen.OneOf("mention", "billing"), (p, ttl, c) => (p, ttl, c))
        from now in GenNow
        from fromStep in Gen.Int[0, 9]
        from reached in Gen.Frequency((1, Gen.Const(0)), (1, Gen.Int[0, 1023]))
        from enabled in Gen.Frequency((3, Gen.Const(7)), (1, Gen.Int[0, 7]))
        from deferralOver in Gen.Int[-4, 4]
        from isRepeat in Gen.Bool
        select Build(rule, zone, windows, snooze, allow, preferences, email, specs, notification, now, fromStep, reached, enabled, deferralOver, isRepeat);

    private static DecisionInput Build(Rule rule, string zone, QuietWindow[] windows, int? snooze, int allow,
        (CategoryPreference? Mention, CategoryPreference? Any) preferences, int email, DeviceSpec[] specs, (Priority Priority, int Ttl, string Category) n,
        DateTimeOffset now, int fromStep, int reached, int enabled, int deferralOver, bool isRepeat)
    {
        var categories = new Dictionary<string, CategoryPreference>();
        if (preferences.Mention is { } m) categories["mention"] = m;
        if (preferences.Any is { } a) categories[UserPreferences.AnyCategory] = a;
        var user = DecisionTestKit.Ana(zone,
            new QuietHoursSettings(windows, snooze is { } s ? now.AddMinutes(s) : null, [.. Enum.GetValues<Priority>().Where(p => (allow & (1 << (int)p)) != 0)]),
            new UserPreferences(categories), email == 0 ? null : "ana@example.com");
        var devices = specs.Select((d, i) => new DeviceSnapshot(
            new Device($"d{i}", "app", "ana", d.Platform, $"d{i}", d.Push ? new PushRegistration("fcm", $"tok{i}", null, null) : null, "h", Year),
            new DeviceState(d.Online, d.Presence, d.Foreground, d.Battery, d.Connectivity, d.Location,
                d.ActiveSecondsAgo is { } ago ? now.AddSeconds(-ago) : null, now.AddSeconds(-(d.ActiveSecondsAgo ?? 60) / 2)))).ToList();
        var reachedPairs = Enumerable.Range(0, 10).Where(b => (reached & (1 << b)) != 0 && b / 2 < devices.Count)
            .Select(b => ($"d{b / 2}", b % 2 == 0 ? Channel.InApp : Channel.Push)).ToList();
        var channels = Enum.GetValues<Channel>().Where(c => (enabled & (1 << (int)c)) != 0).ToHashSet();
        return new DecisionInput(DecisionTestKit.Note(now, n.Priority, TimeSpan.FromMinutes(n.Ttl), n.Category), user, devices, rule,
            fromStep % rule.Steps.Length, reachedPairs, channels, now)
        {
            DeferralOver = deferralOver < 0 ? null : deferralOver % rule.Steps.Length,
            IsRepeat = isRepeat,
        };
    }

    private static string Describe(DecisionInput i)
    {
        static string Window(QuietWindow w) => $"{string.Join("", w.Days.Select(d => d.ToString()[..2]))} {w.From:HH:mm}-{w.To:HH:mm}";
        static string Pref(KeyValuePair<string, CategoryPreference> p) =>
            $"{p.Key}:{(p.Value.Muted ? "muted" : "on")}{(p.Value.Channels is { } c ? "[" + string.Join(",", c.Select(kv => $"{kv.Key}={kv.Value}")) + "]" : "")}";
        static string Dev(DeviceSnapshot d) => $"{d.Device.Id}({d.Device.Platform} {DeviceRanking.Describe(d.State)}" +
            $"{(d.State.Location is { } l ? $" @{l.Lat},{l.Lon}" : "")}{(d.Device.Push is null ? " no-push" : "")} active {d.State.LastActiveAt:O})";
        var q = i.User.QuietHours;
        return string.Create(CultureInfo.InvariantCulture,
            $"rule {i.Rule.Name}, now {i.Now:O}, zone {i.User.TimeZone}, windows [{string.Join("; ", q.Windows.Select(Window))}], " +
            $"snooze {q.SnoozeUntil:O}, allow [{string.Join(",", q.Allow)}], prefs [{string.Join("; ", i.User.Preferences.Categories.Select(Pref))}], " +
            $"email {i.User.Email ?? "none"}, {i.Notification.Category}/{i.Notification.Priority} expires {i.Notification.ExpiresAt:O}, " +
            $"from {i.FromStep}, deferralOver {i.DeferralOver}, repeat {i.IsRepeat}, channels [{string.Join(",", i.EnabledChannels)}], " +
            $"reached [{string.Join(",", i.AlreadyReached)}], devices [{string.Join("; ", i.Devices.Select(Dev))}]");
    }

    private static void Sample(Action<DecisionInput> check) =>
        GenInput.Sample(check, iter: Iterations, print: Describe);

    private static string Trace(Decision d) => $"decision: {d.Reason}\n{DecisionTestKit.Dump(d)}";

    /// <summary>The other tests mean something only if the generator reaches every outcome often enough.</summary>
    [Fact]
    public void GenInput_RandomInput_ReachesEveryOutcome()
    {
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        void Count(string outcome) => counts.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        Sample(input =>
        {
            var d = DecisionEngine.Decide(input);
            var quiet = QuietHoursCalculator.At(input.User.QuietHours, DateTimeZoneProviders.Tzdb[input.User.TimeZone], input.Now).IsQuiet;
            Count(d.Suppressed ? "suppressed" : d.Hold is { } h ? $"hold {h.Kind}" : d.Found ? (d.ToUser ? "email" : "device") : "nothing");
            if (d.Targets.Count > 1) Count("fan-out");
            if (d.Silent) Count("silent");
            if (quiet) Count("quiet");
            if (quiet && d.Found) Count("quiet and sent");
            if (input.IsRepeat && d.Found && d.Targets.Any(t => input.AlreadyReached.Contains((t.Device.Id, d.Channel!.Value)))) Count("repeat to a reached device");
        });
        var summary = string.Join(", ", counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}"));
        foreach (var outcome in new[] { "suppressed", "hold QuietHours", "hold Timer", "hold Device", "email", "device", "nothing", "fan-out",
            "silent", "quiet", "quiet and sent", "repeat to a reached device" })
            Assert.True(counts.GetValueOrDefault(outcome) >= 5, $"'{outcome}' drawn {counts.GetValueOrDefault(outcome)} times in {Iterations}: {summary}");
    }

    [Fact]
    public void Decide_RandomInput_NeverTwoTargetsForOneStepUnlessItsTargetIsAll()
    {
        Sample(input =>
        {
            var d = DecisionEngine.Decide(input);
            Assert.Equal(d.Targets.Count, d.Targets.Select(t => t.Device.Id).Distinct().Count());
            Assert.All(d.Targets, t => Assert.Contains(t, input.Devices));
            if (d.Targets.Count > 1)
            {
                var step = input.Rule.Steps[d.Step!.Value];
                Assert.True(step.Alternatives.Any(a => a.To == StepTarget.All && a.Via == d.Channel), Trace(d));
            }
            if (d.Found && !d.ToUser) Assert.NotEmpty(d.Targets);
            if (d.ToUser) Assert.Empty(d.Targets);
        });
    }

    [Fact]
    public void Decide_RandomInput_NeverDeliveredInsideQuietHoursUnlessAllowedOrTheRuleSaysSilentOrIgnore()
    {
        Sample(input =>
        {
            var d = DecisionEngine.Decide(input);
            var zone = DateTimeZoneProviders.Tzdb[input.User.TimeZone];
            var quiet = QuietHoursCalculator.At(input.User.QuietHours, zone, input.Now);
            var allowed = QuietHoursCalculator.Allows(input.User.QuietHours, input.Notification.Priority);
            var mode = input.Rule.QuietHours;
            if (d.Found && quiet.IsQuiet && !allowed)
            {
                Assert.True(mode != QuietHoursMode.Hold, $"delivered during {quiet.Reason} under quietHours: hold\n{Trace(d)}");
                if (mode == QuietHoursMode.Silent) Assert.True(d.Silent, $"not silent during {quiet.Reason}\n{Trace(d)}");
            }
            // Silent exactly when it is quiet, the priority is not allowed and the rule says silent.
            Assert.Equal(d.Found && quiet.IsQuiet && !allowed && mode == QuietHoursMode.Silent, d.Silent && d.Found);
            if (!d.Found) Assert.False(d.Silent, Trace(d));
            // A step deferred until quiet hours end is never sent while it is quiet, whatever the allow list says.
            if (d.Found && quiet.IsQuiet)
                Assert.False(input.Rule.Steps[d.Step!.Value].Alternatives is [{ Defer.Kind: DeferKind.QuietHoursEnd }], Trace(d));
        });
    }

    [Fact]
    public void Decide_RandomInput_AHoldNeverSendsAndItsUntilIsInTheFuture()
    {
        Sample(input =>
        {
            var d = DecisionEngine.Decide(input);
            if (d.Hold is not { } hold) return;
            Assert.False(d.Found);
            Assert.Empty(d.Targets);
            Assert.False(d.ToUser);
            Assert.False(d.Suppressed);
            Assert.False(d.Silent);
            Assert.Equal(hold.Step, d.Step);
            Assert.InRange(hold.Step, input.FromStep, input.Rule.Steps.Length - 1);
            switch (hold.Kind)
            {
                case HoldKind.Device:
                    Assert.Null(hold.Until);
                    break;
                case HoldKind.Timer:
                    Assert.True(hold.Until > input.Now, Trace(d));
                    Assert.NotEqual(input.DeferralOver, hold.Step);
                    var deferral = Assert.Single(input.Rule.Steps[hold.Step].Alternatives).Defer;
                    Assert.Equal(input.Now + deferral!.For!.Value, hold.Until);
                    break;
                case HoldKind.QuietHours:
                    Assert.True(hold.Until > input.Now, Trace(d));
                    var quiet = QuietHoursCalculator.At(input.User.QuietHours, DateTimeZoneProviders.Tzdb[input.User.TimeZone], input.Now);
                    Assert.True(quiet.IsQuiet);
                    Assert.Equal(quiet.Until, hold.Until);
                    break;
            }
            // The rule-level hold and 'defer: for' say so when the hold outlives the notification.
            if (hold.Until >= input.Notification.ExpiresAt && (hold.Kind == HoldKind.Timer || hold.Reason.StartsWith("held: ", StringComparison.Ordinal)))
                Assert.Contains(d.Trace, t => t.Message.EndsWith("; it expires before then", StringComparison.Ordinal));
        });
    }

    [Fact]
    public void Decide_RandomInput_AQuietHoursHoldIsOverAtItsUntil()
    {
        Sample(input =>
        {
            var d = DecisionEngine.Decide(input);
            if (d.Hold is not { Kind: HoldKind.QuietHours, Until: { } until } || d.Hold.Reason.Contains("ask again", StringComparison.Ordinal)) return;
            var later = DecisionEngine.Decide(input with { Now = until });
            Assert.True(later.Hold?.Kind != HoldKind.QuietHours, $"held again at {until:O}: {later.Reason}");
        });
    }

    [Fact]
    public void Decide_RandomInput_SendsOnlyWhatTheStepAllows()
    {
        Sample(input =>
        {
            var d = DecisionEngine.Decide(input);
            var category = input.Notification.Category;
            Assert.Equal(input.User.Preferences.IsMuted(category), d.Suppressed);
            if (!d.Found) return;
            var channel = d.Channel!.Value;
            Assert.Contains(channel, input.EnabledChannels);
            Assert.True(input.User.Preferences.Allows(category, channel), Trace(d));
            Assert.InRange(d.Step!.Value, input.FromStep, input.Rule.Steps.Length - 1);
            if (d.ToUser)
            {
                Assert.Equal(Channel.Email, channel);
                Assert.False(string.IsNullOrEmpty(input.User.Email));
                return;
            }
            foreach (var target in d.Targets)
            {
                if (!input.IsRepeat) Assert.DoesNotContain((target.Device.Id, channel), input.AlreadyReached);
                if (channel == Channel.Push) Assert.NotNull(target.Device.Push);
            }
            if (input.Rule.Steps[d.Step!.Value].Alternatives is [var alt])
            {
                var vars = ConditionContext.For(input.Notification, input.User, input.Now);
                foreach (var target in d.Targets)
                {
                    var deviceVars = ConditionContext.WithDevice(vars, target, input.Now, input.Rule.Regions);
                    if (alt.Where is { } where) Assert.True(where.Evaluate(deviceVars, out _), $"{target.Device.Id} fails 'where' {where}\n{Trace(d)}");
                    if (alt.Defer is { Kind: DeferKind.Device, Until: { } ready }) Assert.True(ready.Evaluate(deviceVars, out _), $"{target.Device.Id} is not ready\n{Trace(d)}");
                    if (alt.To == StepTarget.Attention) Assert.True(target.State.Online && target.State.Presence == Presence.Active, Trace(d));
                }
                if (alt.Defer is { Kind: DeferKind.For }) Assert.Equal(input.DeferralOver, d.Step);
            }
        });
    }

    [Fact]
    public void Decide_RandomInput_IsDeterministicAndIgnoresDeviceOrder()
    {
        Sample(input =>
        {
            var first = DecisionEngine.Decide(input);
            var again = DecisionEngine.Decide(input);
            var reversed = DecisionEngine.Decide(input with { Devices = [.. input.Devices.Reverse()] });
            foreach (var other in new[] { again, reversed })
            {
                Assert.Equal((first.Step, first.Channel, first.ToUser, first.Silent, first.Suppressed, first.Reason),
                    (other.Step, other.Channel, other.ToUser, other.Silent, other.Suppressed, other.Reason));
                Assert.Equal(first.Hold, other.Hold);
                Assert.Equal(DecisionTestKit.Ids(first), DecisionTestKit.Ids(other));
            }
            Assert.Equal(first.Trace.Select(t => t.Message), again.Trace.Select(t => t.Message));
        });
    }
}
