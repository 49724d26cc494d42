using Notify.Engine.Devices;
using Notify.Engine.Model;

namespace Notify.Server.Realtime;

/// <summary>A message from a device over the realtime channel.</summary>
public sealed record DeviceMessage(string? Type, Presence? Presence, bool? Foreground, BatteryReport? Battery,
    ConnectivityReport? Connectivity, LocationReport? Location, string? NotificationId, AckAction? Action)
{
    public StateReport ToStateReport() => new(Presence, Foreground, Battery, Connectivity, Location);
}

/// <summary>The body of <c>POST /v1/devices/{id}/state</c>: the realtime <c>state</c> message without its type.</summary>
public sealed record StateRequest(Presence? Presence, bool? Foreground, BatteryReport? Battery, ConnectivityReport? Connectivity, LocationReport? Location)
{
    public StateReport ToStateReport() => new(Presence, Foreground, Battery, Connectivity, Location);
}
