namespace Notify.Engine.Notifications;

/// <summary>Serializes work on one key (a notification) without a lock per key: keys share 1,024 stripes.</summary>
public sealed class KeyedLock
{
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, 1024).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async ValueTask<IDisposable> AcquireAsync(string key, CancellationToken ct = default)
    {
        var stripe = _stripes[(uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_stripes.Length];
        await stripe.WaitAsync(ct);
        return new Releaser(stripe);
    }

    private sealed class Releaser(SemaphoreSlim stripe) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) stripe.Release();
        }
    }
}
