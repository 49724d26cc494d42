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
    private readonly Counter<long> _sends;
    private readonly Histogram<double> _sendDuration;
    private readonly Counter<long> _webhooks;

    public NotifyMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("notifications.accepted", description: "Notify calls accepted, by first status");
        _deliveries = meter.CreateCounter<long>("deliveries", description: "Deliveries made, by channel and kind (first, follow-up)");
        _finished = meter.CreateCounter<long>("notifications.finished", description: "Notifications that became final, by status");
        _sends = meter.CreateCounter<long>("channel.sends", description: "Calls to push and email providers, by provider and outcome");
        _sendDuration = meter.CreateHistogram<double>("channel.send.duration", unit: "s", description: "How long provider calls take, by provider");
        _webhooks = meter.CreateCounter<long>("webhook.posts", description: "Webhook posts, by result (delivered, retry, gave-up)");
        Meter = meter;
    }

    /// <summary>For gauges the host adds (connections, timers held).</summary>
    public Meter Meter { get; }

    public void Accepted(NotificationStatus status) => _accepted.Add(1, new KeyValuePair<string, object?>("status", Names.Of(status)));

    public void Delivered(Channel channel, bool followUp, int count) => _deliveries.Add(count,
        new KeyValuePair<string, object?>("channel", Names.Of(channel)), new KeyValuePair<string, object?>("kind", followUp ? "follow-up" : "first"));

    public void SendAttempted(string provider, Channels.SendOutcome outcome, TimeSpan duration)
    {
        var p = new KeyValuePair<string, object?>("provider", provider);
        _sends.Add(1, p, new KeyValuePair<string, object?>("outcome", Names.Of(outcome)));
        _sendDuration.Record(duration.TotalSeconds, p);
    }

    public void WebhookPosted(string result) => _webhooks.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Finished(NotificationStatus status) => _finished.Add(1, new KeyValuePair<string, object?>("status", Names.Of(status)));
}
