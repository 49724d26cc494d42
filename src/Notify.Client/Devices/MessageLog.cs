namespace Notify.Client.Devices;

/// <summary>
/// The notifications and clears this device has seen, bounded and in arrival order. It answers two
/// questions: "was this id raised already?" (the server re-sends unacknowledged notifications on every
/// reconnect) and "has a matching message arrived, or when will it?" for the awaitable helpers.
/// </summary>
/// <remarks>Thread-safe. Waiters are completed outside the lock and their continuations run asynchronously,
/// so a waiter never runs on (or blocks) the receive loop.</remarks>
internal sealed class MessageLog(int capacity)
{
    private readonly Lock _gate = new();
    private readonly BoundedLog<ReceivedNotification> _notifications = new(capacity);
    private readonly BoundedLog<ClearMessage> _clears = new(capacity);
    private readonly List<Waiter<ReceivedNotification>> _notificationWaiters = [];
    private readonly List<Waiter<ClearMessage>> _clearWaiters = [];
    private Exception? _closed;

    /// <summary>Remembers the notification; false when its id was already remembered (a re-send).</summary>
    public bool TryAddNotification(ReceivedNotification notification) =>
        TryAdd(_notifications, _notificationWaiters, notification.Repeat is > 0 ? $"{notification.Id}#{notification.Repeat}" : notification.Id, notification);

    /// <summary>Remembers the clear; false when the same notification was already cleared.</summary>
    public bool TryAddClear(ClearMessage clear) => TryAdd(_clears, _clearWaiters, clear.NotificationId, clear);

    public Task<ReceivedNotification> WaitForNotificationAsync(Func<ReceivedNotification, bool> filter,
        CancellationToken cancellationToken) => WaitAsync(_notifications, _notificationWaiters, filter, cancellationToken);

    public Task<ClearMessage> WaitForClearAsync(string notificationId, CancellationToken cancellationToken) =>
        WaitAsync(_clears, _clearWaiters, c => c.NotificationId == notificationId, cancellationToken);

    /// <summary>Fails every pending and future wait (the client was disposed).</summary>
    public void Close(Exception reason)
    {
        List<IWaiter> pending;
        lock (_gate)
        {
            _closed = reason;
            pending = [.. _notificationWaiters, .. _clearWaiters];
            _notificationWaiters.Clear();
            _clearWaiters.Clear();
        }

        foreach (var waiter in pending) waiter.Fail(reason);
    }

    private bool TryAdd<T>(BoundedLog<T> log, List<Waiter<T>> waiters, string id, T item)
    {
        List<(Waiter<T> Waiter, Exception? FilterFailure)>? matched = null;
        lock (_gate)
        {
            if (!log.TryAdd(id, item)) return false;
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                Exception? failure = null;
                bool matches;
                try
                {
                    matches = waiters[i].Filter(item);
                }
                catch (Exception ex)
                {
                    // A throwing filter fails its own wait, not the receive loop.
                    (failure, matches) = (ex, true);
                }

                if (!matches) continue;
                (matched ??= []).Add((waiters[i], failure));
                waiters.RemoveAt(i);
            }
        }

        foreach (var (waiter, failure) in matched ?? [])
        {
            if (failure is null) waiter.Complete(item);
            else waiter.Fail(failure);
        }

        return true;
    }

    private Task<T> WaitAsync<T>(BoundedLog<T> log, List<Waiter<T>> waiters, Func<T, bool> filter,
        CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<T>(cancellationToken);
        Waiter<T> waiter;
        lock (_gate)
        {
            if (_closed is not null) return Task.FromException<T>(_closed);
            foreach (var item in log.InArrivalOrder())
            {
                if (filter(item)) return Task.FromResult(item);
            }

            waiter = new Waiter<T>(filter);
            waiters.Add(waiter);
        }

        waiter.Registration = cancellationToken.Register(() =>
        {
            lock (_gate) waiters.Remove(waiter);
            waiter.Cancel(cancellationToken);
        });
        return waiter.Task;
    }

    private interface IWaiter
    {
        void Fail(Exception exception);
    }

    private sealed class Waiter<T>(Func<T, bool> filter) : IWaiter
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Func<T, bool> Filter { get; } = filter;
        public CancellationTokenRegistration Registration { get; set; }
        public Task<T> Task => _completion.Task;

        public void Complete(T value)
        {
            _completion.TrySetResult(value);
            Registration.Dispose();
        }

        public void Fail(Exception exception)
        {
            _completion.TrySetException(exception);
            Registration.Dispose();
        }

        public void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);
    }

    /// <summary>Items by id, forgetting the oldest past the capacity.</summary>
    private sealed class BoundedLog<T>(int capacity)
    {
        private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        public bool TryAdd(string id, T item)
        {
            if (!_items.TryAdd(id, item)) return false;
            _order.Enqueue(id);
            while (_order.Count > capacity) _items.Remove(_order.Dequeue());
            return true;
        }

        public IEnumerable<T> InArrivalOrder() => _order.Select(id => _items[id]);
    }
}
