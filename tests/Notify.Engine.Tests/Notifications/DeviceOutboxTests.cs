using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Notify.Engine.Notifications;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Planning;

namespace Notify.Engine.Tests.Notifications;

/// <summary>In-app sends queued after their commit: in order per device, one at a time, a slow device holding up no other.</summary>
public sealed class DeviceOutboxTests
{
    private static SendToDevice Send(string device, string id) => new(id, device, new ClearMessage(id, "seen-elsewhere"), null);

    [Fact]
    public async Task SendsToOneDevice_GoInQueueOrder_OneAtATime_WhileAnotherDeviceIsNotHeldUp()
    {
        var sender = new GatedSender();
        var outbox = new DeviceOutbox(sender, NullLogger.Instance);

        outbox.Enqueue(Send("slow", "n1"));
        await sender.Started("slow", "n1");
        outbox.Enqueue(Send("slow", "n2"));
        outbox.Enqueue(Send("slow", "n3"));
        outbox.Enqueue(Send("fast", "n4"));
        sender.Release("fast", "n4");
        await sender.Finished("fast", "n4"); // while n1 is still in flight to "slow"

        Assert.Equal(["n1"], sender.StartedFor("slow")); // n2 waits for n1
        sender.Release("slow", "n1");
        sender.Release("slow", "n2");
        sender.Release("slow", "n3");
        await sender.Finished("slow", "n3");
        Assert.Equal(["n1", "n2", "n3"], sender.StartedFor("slow"));
    }

    [Fact]
    public async Task AFailingSend_IsLogged_AndTheNextOneGoes()
    {
        var sender = new GatedSender();
        var outbox = new DeviceOutbox(sender, NullLogger.Instance);

        outbox.Enqueue(Send("d1", "n1"));
        outbox.Enqueue(Send("d1", "n2"));
        sender.Fail("d1", "n1");
        sender.Release("d1", "n2");

        await sender.Finished("d1", "n2");
        Assert.Equal(["n1", "n2"], sender.StartedFor("d1"));
    }

    /// <summary>Each send waits until the test releases (or fails) it.</summary>
    private sealed class GatedSender : IRealtimeSender
    {
        private readonly ConcurrentDictionary<(string, string), TaskCompletionSource> _gates = new();
        private readonly ConcurrentDictionary<(string, string), TaskCompletionSource> _started = new();
        private readonly ConcurrentDictionary<(string, string), TaskCompletionSource> _finished = new();
        private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _order = new();

        private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource Gate(string d, string n) => _gates.GetOrAdd((d, n), _ => New());

        public bool IsConnected(string deviceId) => true;

        public async ValueTask<bool> SendAsync(string deviceId, ServerMessage message, string? eventId = null, CancellationToken ct = default)
        {
            var id = ((ClearMessage)message).NotificationId;
            _order.GetOrAdd(deviceId, _ => new()).Enqueue(id);
            _started.GetOrAdd((deviceId, id), _ => New()).TrySetResult();
            try
            {
                await Gate(deviceId, id).Task;
                return true;
            }
            finally
            {
                _finished.GetOrAdd((deviceId, id), _ => New()).TrySetResult();
            }
        }

        public Task Started(string d, string n) => _started.GetOrAdd((d, n), _ => New()).Task.WaitAsync(TimeSpan.FromSeconds(10));
        public Task Finished(string d, string n) => _finished.GetOrAdd((d, n), _ => New()).Task.WaitAsync(TimeSpan.FromSeconds(10));
        public void Release(string d, string n) => Gate(d, n).TrySetResult();
        public void Fail(string d, string n) => Gate(d, n).TrySetException(new IOException("socket closed"));
        public string[] StartedFor(string d) => _order.TryGetValue(d, out var q) ? [.. q] : [];
    }
}
