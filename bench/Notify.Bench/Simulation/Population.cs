using NodaTime;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;

namespace Notify.Bench.Simulation;

internal enum DeviceKind { Desktop, Phone, Tablet, Watch }

/// <summary>Where the user is and what they do during a 5-minute block (their local time).</summary>
internal enum Context { Asleep, Home, Commute, Work, Meeting, Lunch, Out }

/// <summary>One device's state during one simulated minute.</summary>
internal struct MinuteState
{
    public bool Online, Focus, Near, Foreground, Charging;
    /// <summary>0..100; 255 for a device without a battery.</summary>
    public byte Battery;
    public ConnectivityType Connectivity;
    /// <summary>The last minute the device was in use (focus), or -1.</summary>
    public int LastFocus;
    public int LastOnline;

    public readonly bool HasBattery => Battery != 255;
    public readonly bool LowBattery => HasBattery && !Charging && Battery < 15;
    public readonly bool PoweredOff => HasBattery && Battery == 0 && !Charging;
}

internal sealed class SimDevice(int index, DeviceKind kind, Device device, MinuteState[] states)
{
    public int Index { get; } = index;
    public DeviceKind Kind { get; } = kind;
    public Device Device { get; } = device;
    public MinuteState[] States { get; } = states;
    public bool IsMobile => Kind != DeviceKind.Desktop;
}

/// <summary>One event (one notify call) for one user.</summary>
internal sealed record SimEvent(int Index, int Minute, string Category, Priority? Priority);

internal sealed class SimUser
{
    public required int Index { get; init; }
    public required User User { get; init; }
    public required DateTimeZone Zone { get; init; }
    public required List<SimDevice> Devices { get; init; }
    public required bool[] Asleep { get; init; }
    public required Context[] Contexts { get; init; }
    public required List<SimEvent> Events { get; init; }
}

/// <summary>
/// Builds the simulated population, deterministically from (seed, user index): each user has 2 to 4 devices (phone always;
/// desktop, tablet, watch by chance), a time zone, a daily routine (sleep, commute, desk work with meetings, evenings at
/// home, weekends out and about), quiet hours or not, and batteries that drain with use and charge overnight or at a desk.
/// Every device's state is computed minute by minute for the whole run.
/// </summary>
internal static class Population
{
    /// <summary>A Monday, outside any daylight-saving change of the zones below.</summary>
    public static readonly DateTimeOffset Start = new(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Zones =
        ["America/New_York", "America/Los_Angeles", "America/Sao_Paulo", "Europe/Lisbon", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"];

    public static DateTimeOffset At(int minute) => Start.AddMinutes(minute);

    public static SimUser Build(int seed, int index, int days, double eventsPerDay)
    {
        var rng = new Random(Hash.Combine(seed, index, 0x5eed));
        var minutes = (days + 2) * 1440;
        var zoneId = Zones[rng.Next(Zones.Length)];
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        var offset = (int)zone.GetUtcOffset(Instant.FromDateTimeOffset(Start)).ToTimeSpan().TotalMinutes;

        var worker = rng.NextDouble() < 0.7;
        var wake = 360 + rng.Next(0, 151);             // 06:00-08:30
        var sleep = 1320 + rng.Next(0, 151);           // 22:00-00:30 (may pass midnight)
        var drain = 1.0 + rng.NextDouble() * 0.8;      // older batteries drain faster
        var deskCharger = rng.NextDouble() < 0.4;
        var wearsWatch = rng.NextDouble() < 0.85;
        var laptopHome = worker && rng.NextDouble() < 0.3;

        var kinds = new List<DeviceKind> { DeviceKind.Phone };
        if (worker ? rng.NextDouble() < 0.95 : rng.NextDouble() < 0.4) kinds.Add(DeviceKind.Desktop);
        if (rng.NextDouble() < 0.35) kinds.Add(DeviceKind.Tablet);
        if (rng.NextDouble() < 0.3) kinds.Add(DeviceKind.Watch);
        if (kinds.Count == 1) kinds.Add(rng.NextDouble() < 0.5 ? DeviceKind.Desktop : DeviceKind.Tablet);
        var ios = rng.NextDouble() < 0.55;

        var userId = $"u{index:D5}";
        var user = new User("sim", userId, null, zoneId, null, Start, Start) { QuietHours = QuietHoursFor(rng, sleep, wake) };
        var devices = kinds.Select((k, i) =>
        {
            var platform = k switch
            {
                DeviceKind.Desktop => Platform.Desktop,
                DeviceKind.Watch => Platform.Watch,
                _ => ios ? Platform.Ios : Platform.Android,
            };
            var push = k == DeviceKind.Desktop ? null : new PushRegistration(ios ? "apns" : "fcm", $"tok-{userId}-{i}", null, null);
            return new SimDevice(i, k, new Device($"{userId}-{k.ToString().ToLowerInvariant()}", "sim", userId, platform, k.ToString(), push, "", Start),
                new MinuteState[minutes]);
        }).ToList();

        var asleep = new bool[minutes];
        var contexts = new Context[minutes];

        // Per local day: jittered wake and sleep, overnight charging, meetings.
        var block = new BlockState();
        var levels = devices.Select(_ => 100.0).ToArray();
        var charging = new bool[devices.Count];
        var lastFocus = devices.Select(_ => -1).ToArray();
        var lastOnline = devices.Select(_ => -1).ToArray();
        var chargesTonight = devices.Select(_ => true).ToArray();
        var blockFocus = -1;
        var blockForeground = false;
        var phoneElsewhere = false;
        var watchWorn = true;
        var dropout = false;
        int dayWake = wake, daySleep = sleep, localDay = -1;
        for (var m = 0; m < minutes; m++)
        {
            var local = m + offset;
            var day = (int)Math.Floor(local / 1440.0);
            var minuteOfDay = local - day * 1440;
            var weekday = ((day % 7) + 7) % 7;         // 0 = Monday (Start is a Monday)
            var weekend = weekday >= 5;
            if (day != localDay)
            {
                localDay = day;
                dayWake = wake + rng.Next(-20, 21) + (weekend ? 60 : 0);
                daySleep = sleep + rng.Next(-30, 31);
                for (var d = 0; d < devices.Count; d++) chargesTonight[d] = rng.NextDouble() < (devices[d].Kind == DeviceKind.Tablet ? 0.5 : 0.93);
                watchWorn = wearsWatch && rng.NextDouble() < 0.9;
            }
            // A bedtime past midnight counts from midnight: the small error keeps one day's routine in one day.
            var isAsleep = minuteOfDay < dayWake || minuteOfDay >= daySleep;
            asleep[m] = isAsleep;

            if (m % 5 == 0 || m == 0)
            {
                var ctx = isAsleep ? Context.Asleep : DayContext(rng, ref block, worker && !weekend, minuteOfDay, dayWake);
                contexts[m] = ctx;
                blockFocus = PickFocus(rng, ctx, devices, blockFocus, laptopHome, worker);
                phoneElsewhere = ctx == Context.Home && (phoneElsewhere ? rng.NextDouble() < 0.8 : rng.NextDouble() < 0.05);
                blockForeground = rng.NextDouble() < 0.35;
                dropout = rng.NextDouble() < 0.02;
            }
            else contexts[m] = contexts[m - 1];
            var context = contexts[m];

            for (var d = 0; d < devices.Count; d++)
            {
                var dev = devices[d];
                var isNear = !isAsleep && dev.Kind switch
                {
                    DeviceKind.Phone => !phoneElsewhere,
                    DeviceKind.Watch => watchWorn,
                    DeviceKind.Desktop => context == Context.Work || (context == Context.Home && (!worker || laptopHome)),
                    _ => context == Context.Home,
                };
                var isFocus = blockFocus == d && isNear;
                if (isFocus) lastFocus[d] = m;

                // Battery: drains with use, charges overnight, at a desk charger, or at home when low.
                if (dev.Kind != DeviceKind.Desktop)
                {
                    bool plugged;
                    if (isAsleep) plugged = chargesTonight[d];
                    else if (dev.Kind == DeviceKind.Phone && context == Context.Work && deskCharger) plugged = true;
                    else if (context == Context.Home && dev.Kind != DeviceKind.Watch) plugged = levels[d] < 20 || (charging[d] && levels[d] < 80);
                    else plugged = false;
                    charging[d] = plugged;
                    if (plugged) levels[d] = Math.Min(100, levels[d] + 0.7);
                    else
                    {
                        var perHour = dev.Kind switch { DeviceKind.Phone => 3.0, DeviceKind.Tablet => 1.0, _ => 4.0 } +
                                      (isFocus ? dev.Kind == DeviceKind.Watch ? 2 : 14 : 0);
                        levels[d] = Math.Max(0, levels[d] - perHour * drain / 60);
                    }
                }
                var battery = dev.Kind == DeviceKind.Desktop ? (byte)255 : (byte)Math.Round(levels[d]);
                var connectivity = dev.Kind switch
                {
                    DeviceKind.Desktop => context == Context.Home ? ConnectivityType.Wifi : ConnectivityType.Ethernet,
                    DeviceKind.Tablet => ConnectivityType.Wifi,
                    _ => context is Context.Commute or Context.Out ? dropout ? ConnectivityType.None : ConnectivityType.Cellular : ConnectivityType.Wifi,
                };
                var poweredOff = battery == 0 && !charging[d];
                var online = !poweredOff && connectivity != ConnectivityType.None && dev.Kind switch
                {
                    DeviceKind.Desktop => (worker && context is Context.Work or Context.Meeting or Context.Lunch) || (context == Context.Home && isNear),
                    DeviceKind.Watch => false,
                    _ => lastFocus[d] >= 0 && m - lastFocus[d] <= 3,
                };
                if (online) lastOnline[d] = m;
                dev.States[m] = new MinuteState
                {
                    Online = online,
                    Focus = isFocus,
                    Near = isNear,
                    Foreground = isFocus && blockForeground,
                    Charging = charging[d],
                    Battery = battery,
                    Connectivity = connectivity,
                    LastFocus = lastFocus[d],
                    LastOnline = lastOnline[d],
                };
            }
        }

        return new SimUser
        {
            Index = index,
            User = user,
            Zone = zone,
            Devices = devices,
            Asleep = asleep,
            Contexts = contexts,
            Events = Events(rng, days, offset, eventsPerDay),
        };
    }

    /// <summary>What a device reports: the engine's view of a simulated minute.</summary>
    public static DeviceSnapshot Snapshot(SimDevice d, int minute)
    {
        var s = d.States[minute];
        var presence = s.Focus ? Presence.Active : s.Near && s.LastFocus >= 0 && minute - s.LastFocus <= 30 ? Presence.Idle : Presence.Away;
        var reports = s.LastOnline >= 0;
        return new DeviceSnapshot(d.Device, new DeviceState(
            s.Online,
            reports ? presence : null,
            reports ? s.Foreground : null,
            s.HasBattery && reports ? new BatteryState(s.Battery / 100.0, s.Charging, !s.Charging && s.Battery < 20) : null,
            reports ? new ConnectivityState(s.Connectivity, s.Connectivity == ConnectivityType.Cellular) : null,
            null,
            s.LastFocus >= 0 ? At(s.LastFocus) : null,
            s.LastOnline >= 0 ? At(s.LastOnline) : null));
    }

    private struct BlockState
    {
        public int MeetingLeft;
        public int OutLeft;
    }

    private static Context DayContext(Random rng, ref BlockState b, bool workday, int minuteOfDay, int wake)
    {
        if (workday)
        {
            if (minuteOfDay >= wake + 45 && minuteOfDay < 540) return Context.Commute;
            if (minuteOfDay >= 1050 && minuteOfDay < 1095) return Context.Commute;
            if (minuteOfDay >= 720 && minuteOfDay < 780) return Context.Lunch;
            if (minuteOfDay >= 540 && minuteOfDay < 1050)
            {
                if (b.MeetingLeft > 0) { b.MeetingLeft--; return Context.Meeting; }
                if (rng.NextDouble() < 0.04) { b.MeetingLeft = rng.Next(5, 13); return Context.Meeting; }
                return Context.Work;
            }
            b.MeetingLeft = 0;
            return Context.Home;
        }
        if (b.OutLeft > 0) { b.OutLeft--; return Context.Out; }
        if (minuteOfDay is > 540 and < 1260 && rng.NextDouble() < 0.03) { b.OutLeft = rng.Next(12, 40); return Context.Out; }
        return Context.Home;
    }

    private static int PickFocus(Random rng, Context ctx, List<SimDevice> devices, int previous, bool laptopHome, bool worker)
    {
        if (ctx == Context.Asleep) return -1;
        int Of(DeviceKind k) => devices.FindIndex(d => d.Kind == k);
        var choices = ctx switch
        {
            Context.Work => new[] { (Of(DeviceKind.Desktop), 0.65), (Of(DeviceKind.Phone), 0.12) },
            Context.Meeting => [(Of(DeviceKind.Phone), 0.2)],
            Context.Commute => [(Of(DeviceKind.Phone), 0.55)],
            Context.Lunch => [(Of(DeviceKind.Phone), 0.45)],
            Context.Out => [(Of(DeviceKind.Phone), 0.3), (Of(DeviceKind.Watch), 0.03)],
            _ => [(Of(DeviceKind.Phone), 0.35), (Of(DeviceKind.Tablet), 0.2), (!worker || laptopHome ? Of(DeviceKind.Desktop) : -1, 0.15)],
        };
        var valid = choices.Where(c => c.Item1 >= 0).ToList();
        if (previous >= 0 && valid.Any(c => c.Item1 == previous) && rng.NextDouble() < 0.5) return previous;
        if (previous == -1 && rng.NextDouble() < 0.3) return -1;
        var r = rng.NextDouble();
        foreach (var (device, p) in valid)
        {
            if (r < p) return device;
            r -= p;
        }
        return -1;
    }

    private static QuietHoursSettings QuietHoursFor(Random rng, int sleep, int wake)
    {
        if (rng.NextDouble() >= 0.65) return QuietHoursSettings.None;
        static string Hm(int minute) => $"{minute / 60 % 24:D2}:{minute % 60:D2}";
        var from = (sleep - 30) / 30 * 30;
        var to = (wake + 29) / 30 * 30;
        var allow = rng.NextDouble() < 0.5 ? new[] { "critical" } : [];
        return QuietHoursParser.TryParse([new QuietWindowInput(["daily"], Hm(from), Hm(to))], null, allow, out var errors)
            ?? throw new InvalidOperationException(string.Join("; ", errors.Select(e => e.Message)));
    }

    private static List<SimEvent> Events(Random rng, int days, int offset, double perDay)
    {
        var events = new List<SimEvent>();
        var rate = perDay * (0.4 + rng.NextDouble() * 1.2);
        for (var day = 0; day < days; day++)
        {
            var count = Poisson(rng, rate);
            for (var i = 0; i < count; i++)
            {
                // Three in four while the user's day runs (08:00-20:00 local), the rest at any hour (senders elsewhere).
                var localMinute = rng.NextDouble() < 0.75 ? 480 + rng.Next(720) : rng.Next(1440);
                var minute = day * 1440 + localMinute - offset;
                if (minute < 0) minute += 1440;
                var (category, priority) = rng.NextDouble() switch
                {
                    < 0.35 => ("mention", rng.NextDouble() < 0.1 ? Priority.High : (Priority?)null),
                    < 0.45 => ("reply", null),
                    < 0.70 => ("comment", null),
                    < 0.85 => ("assigned", rng.NextDouble() < 0.1 ? Priority.High : null),
                    < 0.93 => ("digest", null),
                    < 0.98 => ("reminder", Priority.Low),
                    _ => (rng.NextDouble() < 0.5 ? "security-alert" : "new-sign-in", (Priority?)null),
                };
                events.Add(new SimEvent(0, minute, category, priority));
            }
        }
        return events.OrderBy(e => e.Minute).Select((e, i) => e with { Index = i }).ToList();
    }

    private static int Poisson(Random rng, double lambda)
    {
        var l = Math.Exp(-lambda);
        var k = 0;
        var p = 1.0;
        do { k++; p *= rng.NextDouble(); } while (p > l);
        return k - 1;
    }
}

/// <summary>Deterministic hashing for common random numbers: the same (event, device, minute) draws the same number
/// under every policy, so differences between policies come from the policies, not from luck.</summary>
internal static class Hash
{
    public static int Combine(int a, int b, int c) => (int)Mix((ulong)(uint)a << 32 ^ (ulong)(uint)b ^ (ulong)(uint)c * 0x9E3779B97F4A7C15UL);

    public static double Uniform(int seed, int user, int evt, int device, int minute)
    {
        var h = Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)user << 20 ^ (ulong)(uint)evt << 40);
        h = Mix(h ^ (ulong)(uint)device * 0xC2B2AE3D27D4EB4FUL ^ (ulong)(uint)minute * 0x165667B19E3779F9UL);
        return (h >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
