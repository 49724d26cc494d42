using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Notify.Channels.Webhooks;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Storage;

namespace Notify.Server.Hosting;

/// <summary>Wiring of the channels: push and email adapters (each off until configured), the dispatcher that sends
/// through them, and delivery-status webhooks. Configuration names are in docs/channels.md.</summary>
public static class ChannelServices
{
    public static IHostApplicationBuilder AddNotifyChannels(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<DispatchQueue>();
        services.AddSingleton<ChannelHealth>();
        services.AddOptions<DispatchOptions>().BindConfiguration("Channels:Dispatch").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new ChannelDispatcher(sp.GetRequiredService<DeliveryWorkflow>(), sp.GetRequiredService<INotifyStore>(),
            sp.GetRequiredService<DispatchQueue>(), sp.GetServices<IPushProvider>(), sp.GetService<IEmailSender>(), sp.GetRequiredService<ChannelHealth>(),
            sp.GetRequiredService<IOptions<DispatchOptions>>().Value, sp.GetRequiredService<NotifyMetrics>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ChannelDispatcher>>()));
        services.AddHostedService<ChannelDispatchService>();

        // Delivery-status webhooks: Webhooks:{appId}:Url and :Secret, read when the host starts (tests set them late).
        services.AddSingleton<IReadOnlyDictionary<string, WebhookTarget>>(sp => ReadWebhooks(sp.GetRequiredService<IConfiguration>()));
        services.AddOptions<WebhookDeliveryOptions>().BindConfiguration("Channels:Webhooks").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new WebhookDispatcher(sp.GetRequiredService<INotifyStore>(), sp.GetRequiredService<DispatchQueue>(),
            sp.GetRequiredService<IReadOnlyDictionary<string, WebhookTarget>>(),
            sp.GetRequiredService<IOptions<WebhookDeliveryOptions>>().Value,
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan },
            sp.GetRequiredService<NotifyMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WebhookDispatcher>>()));
        services.AddHostedService<WebhookService>();

        services.AddOptions<DeliveryOptions>().PostConfigure<IServiceProvider>((o, sp) =>
        {
            foreach (var app in sp.GetRequiredService<IReadOnlyDictionary<string, WebhookTarget>>().Keys) o.WebhookApps.Add(app);
            foreach (var push in sp.GetServices<IPushProvider>())
            {
                o.PushProviders.Add(push.Name);
                o.EnabledChannels.Add(Channel.Push);
            }
            if (sp.GetService<IEmailSender>() is not null) o.EnabledChannels.Add(Channel.Email);
        });
        services.AddHealthChecks().AddCheck<ChannelHealthCheck>("channels", tags: ["ready"]);
        return builder;
    }

    private static Dictionary<string, WebhookTarget> ReadWebhooks(IConfiguration configuration)
    {
        var targets = new Dictionary<string, WebhookTarget>(StringComparer.Ordinal);
        foreach (var app in configuration.GetSection("Webhooks").GetChildren())
        {
            var target = app.Get<WebhookTarget>() ?? new WebhookTarget();
            var problems = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(target, new(target), problems, validateAllProperties: true) ||
                target.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
                throw new OptionsValidationException($"Webhooks:{app.Key}", typeof(WebhookTarget),
                    [$"Webhooks:{app.Key} needs an absolute http(s) Url and a Secret of at least 16 characters. " +
                     string.Join(" ", problems.Select(p => p.ErrorMessage))]);
            targets[app.Key] = target;
        }
        return targets;
    }
}

/// <summary>Sends pending push and email deliveries for the life of the process.</summary>
public sealed class ChannelDispatchService(ChannelDispatcher dispatcher) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => dispatcher.RunAsync(stoppingToken);
}

/// <summary>Posts webhook events from the outbox for the life of the process.</summary>
public sealed class WebhookService(WebhookDispatcher dispatcher) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => dispatcher.RunAsync(stoppingToken);
}

/// <summary>Degraded (still ready: other channels work) while a provider reports a configuration error or its circuit is open.</summary>
internal sealed class ChannelHealthCheck(ChannelHealth health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var providers = health.Providers;
        var problems = providers.Select(p => p.ConfigurationError is { } error
                ? $"{p.Provider}: configuration error since {p.ConfigurationErrorAt:O}: {error}"
                : p.CircuitOpenSince is { } since ? $"{p.Provider}: failing, circuit open since {since:O}" : null)
            .OfType<string>().ToList();
        var configured = providers.Count == 0 ? "in-app only (no push or email provider configured)" : $"configured: {string.Join(", ", providers.Select(p => p.Provider))}";
        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy(configured)
            : HealthCheckResult.Degraded($"{string.Join("; ", problems)} ({configured})"));
    }
}
