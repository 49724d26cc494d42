namespace Notify.Engine.Channels;

/// <summary>Work for the channel dispatcher, handed over once the change that caused it is durable.</summary>
public abstract record DispatchJob(string NotificationId, string DeliveryId);

/// <summary>Send a pending push or email delivery. The delivery row is the durable record: a job lost with the
/// process is found again at start (<see cref="Storage.INotifyStore.GetPendingSendsAsync"/>).</summary>
public sealed record SendJob(string NotificationId, string DeliveryId) : DispatchJob(NotificationId, DeliveryId);

/// <summary>Tell a device that got a push to remove it (seen elsewhere, dismissed, expired, collapsed): a silent push,
/// best effort, retried like any send but not kept across a restart.</summary>
public sealed record ClearJob(string NotificationId, string DeliveryId, string DeviceId, string Reason) : DispatchJob(NotificationId, DeliveryId);

/// <summary>The hand-over between the delivery workflow (writer) and the channel dispatcher (reader), and the nudge
/// that wakes the webhook dispatcher when new events are in the outbox.</summary>
public sealed class DispatchQueue
{
    private readonly System.Threading.Channels.Channel<DispatchJob> _jobs =
        System.Threading.Channels.Channel.CreateUnbounded<DispatchJob>(new() { SingleReader = true });
    private readonly SemaphoreSlim _webhooks = new(0, 1);

    public void Enqueue(DispatchJob job) => _jobs.Writer.TryWrite(job);

    public System.Threading.Channels.ChannelReader<DispatchJob> Reader => _jobs.Reader;

    /// <summary>New webhook events were committed.</summary>
    public void WebhooksAdded()
    {
        if (_webhooks.CurrentCount == 0)
        {
            try { _webhooks.Release(); } catch (SemaphoreFullException) { /* already signalled */ }
        }
    }

    /// <summary>Waits until <see cref="WebhooksAdded"/> is called (once for any number of calls in between).</summary>
    public Task WaitForWebhooksAsync(CancellationToken ct) => _webhooks.WaitAsync(ct);
}
