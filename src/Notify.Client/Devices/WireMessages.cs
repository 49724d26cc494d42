using System.Text.Json;
using System.Text.Json.Serialization;

namespace Notify.Client.Devices;

/// <summary>Every server-to-device message, flattened: <c>type</c> says which fields matter. One shape keeps
/// parsing tolerant (unknown fields and unknown types are skipped, not fatal).</summary>
internal sealed record ServerEnvelope
{
    public string? Type { get; init; }
    public string? DeviceId { get; init; }
    public DateTimeOffset? ServerTime { get; init; }
    public ReceivedNotification? Notification { get; init; }
    public string? NotificationId { get; init; }
    public string? Reason { get; init; }
    public string? Code { get; init; }
    public string? Message { get; init; }
}

/// <summary>The realtime <c>state</c> message; <c>type</c> comes first so a server reading polymorphic JSON
/// finds the discriminator without buffering.</summary>
internal sealed record StateMessage(Presence? Presence, bool? Foreground, BatteryState? Battery,
    ConnectivityState? Connectivity, GeoLocation? Location)
{
    [JsonPropertyOrder(-1)]
    public string Type => "state";

    public static StateMessage From(DeviceStateReport report) =>
        new(report.Presence, report.Foreground, report.Battery, report.Connectivity, report.Location);
}

/// <summary>The realtime <c>ack</c> message.</summary>
internal sealed record AckMessage(string NotificationId, AckAction Action)
{
    [JsonPropertyOrder(-1)]
    public string Type => "ack";
}

/// <summary>The body of <c>POST /v1/notifications/{id}/ack</c>.</summary>
internal sealed record AckBody(AckAction Action);

internal static class WireMessages
{
    public static readonly byte[] Ping = """{"type":"ping"}"""u8.ToArray();

    public static byte[] Serialize<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, NotifyJson.Options);
}
