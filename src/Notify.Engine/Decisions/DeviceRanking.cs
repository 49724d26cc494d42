using Notify.Engine.Model;

namespace Notify.Engine.Decisions;

/// <summary>
/// The order in which <c>best</c> prefers devices, most important first:
/// <list type="number">
/// <item>online (holds a realtime connection) before offline;</item>
/// <item>presence: active, then idle, then unknown, then away;</item>
/// <item>in the foreground before in the background;</item>
/// <item>battery that can take it (charging, or at least 15% and not in low-power mode) before a nearly flat one;</item>
/// <item>connectivity: Wi-Fi or Ethernet, then cellular or unknown, then none;</item>
/// <item>most recent activity (last active, then last seen);</item>
/// <item>the device id, so equal devices always rank the same way.</item>
/// </list>
/// The learned response score (<see cref="Learning.ResponseScoring"/>) slots in after presence when a model is loaded.
/// </summary>
public static class DeviceRanking
{
    /// <summary>Below this level a battery is "low" unless it is charging.</summary>
    public const double LowBattery = 0.15;

    /// <param name="score">The learned response score, when a model is loaded (see <see cref="DecisionInput.ResponseScore"/>).</param>
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
