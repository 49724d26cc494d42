using System.Diagnostics.Metrics;
using Notify.Engine.Model;

namespace Notify.Engine.Notifications;

/// <summary>
/// What operators watch (meter <c>Notify</c>; the server exposes it at <c>/metrics</c> in Prometheus format):
/// how many notifications end in each status, how many deliveries each kind of step makes (the number the
/// product exists to keep low), acknowledgements, and timers waiting in memory.
/// </summary>
public sealed class NotifyMetrics
{
    public const string MeterName = "Notify";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _finished;

    public NotifyMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("notifications.accepted", description: "Notify calls accepted, by first status");
        _deliveries = meter.CreateCounter<long>("deliveries", description: "Deliveries made, by channel and kind (first, follow-up)");
        _finished = meter.CreateCounter<long>("notifications.finished", description: "Notifications that became final, by status");
        Meter = meter;
    }

    /// <summary>For gauges the host adds (connections, timers held).</summary>
    public Meter Meter { get; }

    public void Accepted(NotificationStatus status) => _accepted.Add(1, new KeyValuePair<string, object?>("status", Names.Of(status)));

    public void Delivered(Channel channel, bool followUp, int count) => _deliveries.Add(count,
        new KeyValuePair<string, object?>("channel", Names.Of(channel)), new KeyValuePair<string, object?>("kind", followUp ? "follow-up" : "first"));

    public void Finished(NotificationStatus status) => _finished.Add(1, new KeyValuePair<string, object?>("status", Names.Of(status)));
}
