using System.Collections.Concurrent;

namespace Notify.Engine.Channels;

/// <summary>
/// What each configured provider's last calls said, for <c>/health/ready</c> and logs: a configuration error
/// (<see cref="SendOutcome.Misconfigured"/>) stays reported until a later send through that provider succeeds.
/// </summary>
public sealed class ChannelHealth
{
    private readonly ConcurrentDictionary<string, ProviderHealth> _providers = new(StringComparer.Ordinal);

    public void Configured(string provider) => _providers.TryAdd(provider, new ProviderHealth(provider, null, null, null));

    public void Report(string provider, SendResult result, DateTimeOffset at) => _providers.AddOrUpdate(provider,
        p => Next(new ProviderHealth(p, null, null, null), result, at), (_, h) => Next(h, result, at));

    public void CircuitOpened(string provider, DateTimeOffset at) =>
        _providers.AddOrUpdate(provider, p => new ProviderHealth(p, null, null, at), (_, h) => h with { CircuitOpenSince = at });

    public void CircuitClosed(string provider) =>
        _providers.AddOrUpdate(provider, p => new ProviderHealth(p, null, null, null), (_, h) => h with { CircuitOpenSince = null });

    public IReadOnlyList<ProviderHealth> Providers => [.. _providers.Values.OrderBy(p => p.Provider, StringComparer.Ordinal)];

    private static ProviderHealth Next(ProviderHealth h, SendResult r, DateTimeOffset at) => r.Outcome switch
    {
        SendOutcome.Misconfigured => h with { ConfigurationError = r.Reason ?? "configuration error", ConfigurationErrorAt = at },
        SendOutcome.Sent => h with { ConfigurationError = null, ConfigurationErrorAt = null },
        _ => h,
    };
}

/// <param name="ConfigurationError">The provider's last configuration error, until a send succeeds again.</param>
/// <param name="CircuitOpenSince">Set while the provider's circuit is open (it failed too often; calls wait).</param>
public sealed record ProviderHealth(string Provider, string? ConfigurationError, DateTimeOffset? ConfigurationErrorAt, DateTimeOffset? CircuitOpenSince);
