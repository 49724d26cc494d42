using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Notify.Channels.Apns;
using Notify.Channels.Email;
using Notify.Channels.Fcm;
using Notify.Channels.Webhooks;
using Notify.Channels.Dispatch;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Engine.Notifications.Handlers;
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
        services.AddSingleton(sp => ConfiguredChannels.Create(sp));
        services.AddSingleton(sp => new ChannelDispatcher(sp.GetRequiredService<SendHandler>(), sp.GetRequiredService<INotifyStore>(),
            sp.GetRequiredService<DispatchQueue>(), sp.GetRequiredService<ConfiguredChannels>().Push, sp.GetRequiredService<ConfiguredChannels>().Email,
            sp.GetRequiredService<ChannelHealth>(),
            sp.GetRequiredService<IOptions<DispatchOptions>>().Value, sp.GetRequiredService<NotifyMetrics>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ChannelDispatcher>>()));
        services.AddHostedService<ChannelDispatchService>();

        // Delivery-status webhooks: Webhooks:{appId}:Url and :Secret, read when the host starts (tests set them late).
        services.AddSingleton<IReadOnlyDictionary<string, WebhookTarget>>(sp => ReadWebhooks(sp.GetRequiredService<IConfiguration>()));
        services.AddOptions<WebhookDeliveryOptions>().BindConfiguration("Channels:Webhooks").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new WebhookDispatcher(sp.GetRequiredService<INotifyStore>(), sp.GetRequiredService<DispatchQueue>(),
            sp.GetRequiredService<IReadOnlyDictionary<string, WebhookTarget>>(),
            sp.GetRequiredService<IOptions<WebhookDeliveryOptions>>().Value,
            // Redirects are not followed: they would re-post the signed body to wherever the answer points. A 3xx is a failed post.
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan },
            sp.GetRequiredService<NotifyMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WebhookDispatcher>>()));
        services.AddHostedService<WebhookService>();

        services.AddOptions<DeliveryOptions>().PostConfigure<IServiceProvider>((o, sp) =>
        {
            foreach (var app in sp.GetRequiredService<IReadOnlyDictionary<string, WebhookTarget>>().Keys) o.WebhookApps.Add(app);
            var channels = sp.GetRequiredService<ConfiguredChannels>();
            foreach (var push in channels.Push)
            {
                o.PushProviders.Add(push.Name);
                o.EnabledChannels.Add(Channel.Push);
            }
            if (channels.Email is not null) o.EnabledChannels.Add(Channel.Email);
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

/// <summary>
/// The adapters this process has, read from configuration when the host starts: each channel is on when its section
/// has a value (<c>Channels:Fcm:ServiceAccountFile</c>, <c>Channels:Apns:KeyId</c>, <c>Channels:Email:Host</c>), and a
/// section that is there but wrong stops the start with every problem named.
/// </summary>
public sealed class ConfiguredChannels(IReadOnlyList<IPushProvider> push, IEmailSender? email) : IDisposable
{
    public IReadOnlyList<IPushProvider> Push { get; } = push;
    public IEmailSender? Email { get; } = email;

    public static ConfiguredChannels Create(IServiceProvider sp)
    {
        var config = sp.GetRequiredService<IConfiguration>();
        var env = sp.GetRequiredService<IHostEnvironment>();
        var time = sp.GetRequiredService<TimeProvider>();
        var push = new List<IPushProvider>();

        var fcm = config.GetSection(FcmOptions.SectionName);
        if (IsSet(fcm))
        {
            var options = fcm.Get<FcmOptions>() ?? new FcmOptions();
            if (options.ServiceAccountFile is { Length: > 0 } file) options.ServiceAccountFile = ContentRoot.Under(env, file);
            push.Add(new FcmProvider(options, time, sp.GetRequiredService<ILogger<FcmProvider>>()));
        }
        var apns = config.GetSection(ApnsOptions.Section);
        if (IsSet(apns))
        {
            var options = apns.Get<ApnsOptions>() ?? new ApnsOptions();
            if (options.PrivateKeyFile is { Length: > 0 } file) options.PrivateKeyFile = ContentRoot.Under(env, file);
            push.Add(new ApnsProvider(options, time, sp.GetRequiredService<ILogger<ApnsProvider>>()));
        }
        IEmailSender? email = null;
        var smtp = config.GetSection("Channels:Email");
        if (IsSet(smtp))
        {
            var options = smtp.Get<EmailOptions>() ?? new EmailOptions();
            if (options.TemplateDirectory is { Length: > 0 } templates) options.TemplateDirectory = ContentRoot.Under(env, templates);
            email = new SmtpEmailSender(options, time, sp.GetRequiredService<ILogger<SmtpEmailSender>>());
        }
        return new ConfiguredChannels(push, email);
    }

    /// <summary>A channel is on when its section has any non-empty value (an empty placeholder section keeps it off).</summary>
    private static bool IsSet(IConfigurationSection section) => section.GetChildren().Any(c => c.Value is { Length: > 0 });

    public void Dispose()
    {
        foreach (var p in Push.OfType<IDisposable>()) p.Dispose();
        if (Email is IAsyncDisposable async) async.DisposeAsync().AsTask().GetAwaiter().GetResult();
        else (Email as IDisposable)?.Dispose();
    }
}

/// <summary>Sends pending push and email deliveries for the life of the process.</summary>
public sealed class ChannelDispatchService(ChannelDispatcher dispatcher, TimeProvider time, ILogger<ChannelDispatchService> logger) : BackgroundService
{
    // The dispatcher first reads what a previous run left pending; with the store unavailable it waits for it.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        StoreRetry.UntilAvailableAsync(dispatcher.RunAsync, "loading pending sends", time, logger, stoppingToken);
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
