using System.Text.RegularExpressions;

namespace Notify.Server.Hosting;

/// <summary>
/// Keeps credentials out of the logs. Browsers cannot set headers on a WebSocket or an EventSource, so device tokens
/// also travel as <c>?access_token=</c>; ASP.NET Core's request logging (category
/// <c>Microsoft.AspNetCore.Hosting.Diagnostics</c>, at Information) writes the whole request line. Every logger
/// provider is wrapped so the token's value is written as <c>[redacted]</c>, in the message and in its structured values.
/// </summary>
public static partial class TokenRedaction
{
    /// <summary>What replaces a token's value.</summary>
    public const string Mask = "[redacted]";

    [GeneratedRegex(@"(?<=[?&](?:access_token|token)=)[^&#\s""]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TokenValue();

    /// <summary>The text with the value of every <c>access_token</c> (or <c>token</c>) query parameter masked.</summary>
    public static string Redact(string text) => text.Contains("token=", StringComparison.OrdinalIgnoreCase) ? TokenValue().Replace(text, Mask) : text;

    /// <summary>Wraps every logger provider registered so far; call it after the last provider is added (before <c>Build</c>).</summary>
    public static ILoggingBuilder RedactTokens(this ILoggingBuilder logging)
    {
        var services = logging.Services;
        for (var i = 0; i < services.Count; i++)
        {
            var d = services[i];
            if (d.ServiceType != typeof(ILoggerProvider) || d.IsKeyedService) continue;
            services[i] = ServiceDescriptor.Describe(typeof(ILoggerProvider), sp => new RedactingProvider(Create(sp, d)), d.Lifetime);
        }
        return logging;
    }

    private static ILoggerProvider Create(IServiceProvider sp, ServiceDescriptor d) =>
        (ILoggerProvider)(d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));

    private sealed class RedactingProvider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

        public void SetScopeProvider(IExternalScopeProvider scopeProvider)
        {
            if (inner is ISupportExternalScope scoped) scoped.SetScopeProvider(scopeProvider);
        }

        public void Dispose() => inner.Dispose();
    }

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (!message.Contains("token=", StringComparison.OrdinalIgnoreCase) && !HasToken(state))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value is string s ? Redact(s) : p.Value)).ToList()
                : [];
            var redacted = new RedactedState(Redact(message), values);
            inner.Log(logLevel, eventId, redacted, exception, static (s, _) => s.Message);
        }

        private static bool HasToken<TState>(TState state) =>
            state is IEnumerable<KeyValuePair<string, object?>> pairs
            && pairs.Any(p => p.Value is string s && s.Contains("token=", StringComparison.OrdinalIgnoreCase));
    }

    private sealed class RedactedState(string message, IReadOnlyList<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message => message;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public int Count => values.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message;
    }
}
