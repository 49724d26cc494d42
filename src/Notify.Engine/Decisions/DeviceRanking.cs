using Notify.Engine.Model;

namespace Notify.Engine.Decisions;

/// <summary>
/// The order in which <c>best</c> prefers devices, most important first.
/// <para>In-app (a message reaches only a device holding a realtime connection; others get it when they connect):</para>
/// <list type="number">
/// <item>online (holds a realtime connection) before offline;</item>
/// <item>presence: active, then idle, then unknown, then away (an "active" not refreshed for
/// <see cref="DecisionInput.PresenceStaleAfter"/> counts as idle);</item>
/// <item>the learned response score, when a model is loaded;</item>
/// <item>in the foreground before in the background;</item>
/// <item>battery that can take it (charging, on mains, or at least 15% and not in low-power mode) before a nearly flat one;</item>
/// <item>connectivity: Wi-Fi or Ethernet, then cellular or unknown, then none;</item>
/// <item>most recent activity (last active, then last seen);</item>
/// <item>the device id, so equal devices always rank the same way.</item>
/// </list>
/// <para>Push (the provider reaches the device whether or not it holds a realtime connection, so being connected says
/// nothing about where it will be seen): the most recently used device first (last active), then the learned score,
/// foreground, battery, connectivity, last seen and id as above.</para>
/// </summary>
public static class DeviceRanking
{
    /// <summary>Below this level a battery is "low" unless it is charging.</summary>
    public const double LowBattery = 0.15;

    /// <param name="score">The learned response score, when a model is loaded (see <see cref="DecisionInput.ResponseScore"/>).</param>
    public static IOrderedEnumerable<DeviceSnapshot> Rank(IEnumerable<DeviceSnapshot> devices, Channel via, Func<DeviceSnapshot, double?>? score = null) =>
        via == Channel.Push
            ? devices
                .OrderByDescending(d => d.State.LastActiveAt ?? DateTimeOffset.MinValue)
                .ThenByDescending(d => score?.Invoke(d) ?? 0)
                .ThenByDescending(d => d.State.Foreground == true)
                .ThenByDescending(d => !IsLowBattery(d.State))
                .ThenByDescending(d => ConnectivityRank(d.State.Connectivity))
                .ThenByDescending(d => d.State.LastSeenAt ?? DateTimeOffset.MinValue)
                .ThenBy(d => d.Device.Id, StringComparer.Ordinal)
            : Rank(devices, score);

    /// <summary>The in-app order (see the class summary).</summary>
    public static IOrderedEnumerable<DeviceSnapshot> Rank(IEnumerable<DeviceSnapshot> devices, Func<DeviceSnapshot, double?>? score = null) => devices
        .OrderByDescending(d => d.State.Online)
        .ThenByDescending(d => PresenceRank(d.State.Presence))
        .ThenByDescending(d => score?.Invoke(d) ?? 0)
        .ThenByDescending(d => d.State.Foreground == true)
        .ThenByDescending(d => !IsLowBattery(d.State))
        .ThenByDescending(d => ConnectivityRank(d.State.Connectivity))
        .ThenByDescending(d => d.State.LastActiveAt ?? DateTimeOffset.MinValue)
        .ThenByDescending(d => d.State.LastSeenAt ?? DateTimeOffset.MinValue)
        .ThenBy(d => d.Device.Id, StringComparer.Ordinal);

    /// <summary>The default of <see cref="DecisionInput.PresenceStaleAfter"/>: an "active" older than this counts as idle.</summary>
    public static readonly TimeSpan DefaultPresenceStaleAfter = TimeSpan.FromMinutes(5);

    /// <summary>The device as it stands now: presence "active" with no activity for <paramref name="staleAfter"/> is idle
    /// (SDKs report "active" again while the user keeps using the device; a device that stopped reporting is not in use).</summary>
    public static DeviceSnapshot Aged(DeviceSnapshot d, DateTimeOffset now, TimeSpan staleAfter) =>
        d.State.Presence == Presence.Active && (d.State.LastActiveAt is not { } at || now - at > staleAfter)
            ? d with { State = d.State with { Presence = Presence.Idle } }
            : d;

    /// <summary>Whether <c>to: attention</c> may pick the device: in use (presence active, not stale), and for in-app also
    /// holding a realtime connection (an in-app message reaches nothing else). A push reaches a phone in a pocket.</summary>
    public static bool HasAttention(DeviceSnapshot d, Channel via) =>
        d.State.Presence == Presence.Active && (via != Channel.InApp || d.State.Online);

    /// <summary>Devices active within this long of the most recently active one are "equally" in the user's attention
    /// (reports arrive seconds apart from a phone in hand and a laptop in use); the learned score breaks that tie.</summary>
    public static readonly TimeSpan AttentionTie = TimeSpan.FromSeconds(30);

    /// <summary>The order for <c>attention</c> among online, active devices: the most recently active first; with a
    /// learned score, devices active within <see cref="AttentionTie"/> of the latest are ordered by the score first.</summary>
    public static IOrderedEnumerable<DeviceSnapshot> RankAttention(IReadOnlyCollection<DeviceSnapshot> devices, Func<DeviceSnapshot, double?>? score = null)
    {
        var latest = devices.Max(d => d.State.LastActiveAt ?? DateTimeOffset.MinValue);
        return devices
            .OrderByDescending(d => score is not null && latest - (d.State.LastActiveAt ?? DateTimeOffset.MinValue) <= AttentionTie)
            .ThenByDescending(d => score is not null && latest - (d.State.LastActiveAt ?? DateTimeOffset.MinValue) <= AttentionTie ? score(d) ?? 0 : 0)
            .ThenByDescending(d => d.State.LastActiveAt ?? DateTimeOffset.MinValue)
            .ThenBy(d => d.Device.Id, StringComparer.Ordinal);
    }

    public static bool IsLowBattery(DeviceState s) =>
        s.Battery is { } b && !b.Charging && (b.Level < LowBattery || b.LowPower);

    /// <summary>A one-line summary of why a device ranks where it does, for the trace.</summary>
    public static string Describe(DeviceState s)
    {
        var parts = new List<string> { s.Online ? "online" : "offline", $"presence {(s.Presence is { } p ? Names.Of(p) : "unknown")}" };
        if (s.Foreground == true) parts.Add("foreground");
        if (s.Battery is { } b) parts.Add($"battery {b.Level:P0}{(b.Charging ? " charging" : "")}{(b.LowPower ? " low-power" : "")}");
        if (s.Connectivity is { } c) parts.Add($"{Names.Of(c.Type)}{(c.Metered ? " metered" : "")}");
        return string.Join(", ", parts);
    }

    private static int PresenceRank(Presence? p) => p switch
    {
        Presence.Active => 3,
        Presence.Idle => 2,
        null => 1,
        _ => 0,
    };

    private static int ConnectivityRank(ConnectivityState? c) => c?.Type switch
    {
        ConnectivityType.Wifi or ConnectivityType.Ethernet => 2,
        ConnectivityType.Cellular or null => 1,
        _ => 0,
    };
}
