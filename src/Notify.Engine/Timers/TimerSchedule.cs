namespace Notify.Engine.Timers;

/// <summary>
/// The in-memory schedule of the timers this node holds: those due within the claim window that it claimed with a lease
/// (<see cref="TimerLoop"/>) or created itself leased (<see cref="Lease"/>). The store holds every timer; this holds
/// those due soon, so firing a timer costs no query and a million pending timers cost no memory here until they come
/// close. Thread-safe.
/// </summary>
public sealed class TimerSchedule
{
    private readonly PriorityQueue<TimerRecord, DateTimeOffset> _queue = new();
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _cancelledNotifications = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string? _owner;
    private DateTimeOffset _leaseUntil;

    /// <summary>Timers due before this instant are held in memory; later ones are loaded when it moves on.</summary>
    public DateTimeOffset LoadedUntil { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>The lease new timers of this node are stored with (those due before <see cref="TimerLease.DueBefore"/>), or null
    /// while no <see cref="TimerLoop"/> is claiming: then new timers are stored free and claimed by whichever node polls first.</summary>
    public TimerLease? Lease
    {
        get { lock (_lock) return _owner is null ? null : new TimerLease(_owner, _leaseUntil, LoadedUntil); }
    }

    /// <summary>The loop holds leases as <paramref name="owner"/> until <paramref name="until"/> (claimed or renewed).</summary>
    public void Leased(string owner, DateTimeOffset until)
    {
        lock (_lock)
        {
            _owner = owner;
            _leaseUntil = until;
        }
    }

    /// <summary>The loop stopped: new timers are stored free from now on.</summary>
    public void StopLeasing()
    {
        lock (_lock) _owner = null;
    }

    public int Count { get { lock (_lock) return _queue.Count; } }

    /// <summary>Adds timers that are due before <see cref="LoadedUntil"/> and not already held.</summary>
    public void Add(IEnumerable<TimerRecord> timers)
    {
        var wake = false;
        lock (_lock)
        {
            foreach (var t in timers)
            {
                if (t.DueAt >= LoadedUntil || !_known.Add(t.Id)) continue;
                _cancelledNotifications.Remove(t.NotificationId);
                var earliest = _queue.TryPeek(out _, out var first) ? first : DateTimeOffset.MaxValue;
                _queue.Enqueue(t, t.DueAt);
                wake |= t.DueAt < earliest;
            }
        }
        if (wake) Wake();
    }

    /// <summary>Adds timers loaded from the store and moves the horizon to <paramref name="until"/>.</summary>
    public void Load(IEnumerable<TimerRecord> timers, DateTimeOffset until)
    {
        lock (_lock) LoadedUntil = until > LoadedUntil ? until : LoadedUntil;
        Add(timers);
    }

    /// <summary>Forgets the timers of a notification that became final (they are deleted in the store too).</summary>
    public void CancelNotification(string notificationId)
    {
        lock (_lock) _cancelledNotifications.Add(notificationId);
    }

    /// <summary>Removes and returns the timers due at <paramref name="now"/>.</summary>
    public List<TimerRecord> TakeDue(DateTimeOffset now)
    {
        var due = new List<TimerRecord>();
        lock (_lock)
        {
            while (_queue.TryPeek(out var t, out var at) && at <= now)
            {
                _queue.Dequeue();
                _known.Remove(t.Id);
                if (!_cancelledNotifications.Contains(t.NotificationId)) due.Add(t);
            }
            if (_queue.Count == 0) _cancelledNotifications.Clear();
        }
        return due;
    }

    /// <summary>When the earliest held timer is due, if any.</summary>
    public DateTimeOffset? NextDue
    {
        get { lock (_lock) return _queue.TryPeek(out _, out var at) ? at : null; }
    }

    /// <summary>Completes when a timer earlier than the current earliest is added.</summary>
    public Task Changed { get { lock (_lock) return _changed.Task; } }

    private void Wake()
    {
        TaskCompletionSource old;
        lock (_lock)
        {
            old = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        old.TrySetResult();
    }
}
