using System.Collections.Concurrent;
using Notify.Engine.Decisions;
using Notify.Engine.Model;
using Notify.Engine.Planning;

namespace Notify.Engine.Notifications.Handlers;

/// <summary>
/// Held notifications decided again when what they wait on changes: a device's report (a hold until a device is ready:
/// charging, on Wi-Fi, at a place), or the user's quiet hours or snooze (a quiet-hours hold released at once when they
/// are cleared, or moved when they change). Re-decisions for one user are coalesced: at most one runs at a time, and
/// reports that arrive meanwhile cause one more run with the latest state, however many there were.
/// </summary>
public sealed class HoldHandler(PlanRunner runner)
{
    private readonly ConcurrentDictionary<(string AppId, string UserId, HoldKind Kind), Gate> _gates = new();

    /// <summary>A device reported its state: decide again the user's notifications held until a device is ready.</summary>
    public Task DeviceChangedAsync(Device device, CancellationToken ct = default)
    {
        var key = (device.AppId, device.UserId);
        if (!runner.DeviceHolds.ContainsKey(key)) return Task.CompletedTask;
        return CoalescedAsync((key.AppId, key.UserId, HoldKind.Device), () => RedecideAsync(key, HoldKind.Device, $"{device.Name ?? device.Id} reported", onlyIfReleased: true, ct));
    }

    /// <summary>The user's quiet hours or snooze changed: decide again what quiet hours hold.</summary>
    public Task QuietHoursChangedAsync(string appId, string userId, CancellationToken ct = default) =>
        CoalescedAsync((appId, userId, HoldKind.QuietHours), () => RedecideAsync((appId, userId), HoldKind.QuietHours, "quiet hours changed", onlyIfReleased: false, ct));

    /// <summary>Loads which users have notifications held for a device (at start; later holds add themselves).</summary>
    public async Task LoadDeviceHoldsAsync(CancellationToken ct = default)
    {
        foreach (var key in await runner.Store.GetUsersWithDeviceHoldsAsync(ct)) runner.DeviceHolds[key] = 0;
    }

    private async Task RedecideAsync((string AppId, string UserId) key, HoldKind kind, string what, bool onlyIfReleased, CancellationToken ct)
    {
        var held = await runner.Store.GetHeldAsync(key.AppId, key.UserId, ct);
        if (kind == HoldKind.Device && held.All(h => h.Notification.Hold != HoldKind.Device)) runner.DeviceHolds.TryRemove(key, out _);
        foreach (var candidate in held.Where(h => h.Notification.Hold == kind))
        {
            using var _ = await runner.Locks.AcquireAsync(candidate.Notification.Id, ct);
            var details = await runner.Store.GetNotificationAsync(candidate.Notification.Id, ct);
            if (details?.Notification is not { Status: NotificationStatus.Held } n || n.Hold != kind) continue;
            var (user, devices, rule) = await runner.DecisionInputsAsync(n, ct);
            var plan = Planner.Redecide(details, user, devices, rule, $"{what}: deciding step {n.HoldStep + 1} again", onlyIfReleased,
                runner.Context(n.AppId, n.UserId));
            await runner.RunAsync(plan, ct);
        }
    }

    /// <summary>Runs <paramref name="work"/> unless it is already running for the user and kind of hold; then the running one runs once more
    /// when it ends (so it sees the latest state) and this call returns at once.</summary>
    private async Task CoalescedAsync((string, string, HoldKind) key, Func<Task> work)
    {
        var gate = _gates.GetOrAdd(key, _ => new Gate());
        lock (gate)
        {
            if (gate.Running) { gate.Again = true; return; }
            gate.Running = true;
        }
        try
        {
            while (true)
            {
                await work();
                lock (gate)
                {
                    if (!gate.Again)
                    {
                        gate.Running = false;
                        _gates.TryRemove(new KeyValuePair<(string, string, HoldKind), Gate>(key, gate));
                        return;
                    }
                    gate.Again = false;
                }
            }
        }
        catch
        {
            lock (gate) { gate.Running = false; gate.Again = false; }
            _gates.TryRemove(new KeyValuePair<(string, string, HoldKind), Gate>(key, gate));
            throw;
        }
    }

    private sealed class Gate
    {
        public bool Running;
        public bool Again;
    }
}
