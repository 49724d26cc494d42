using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Notify.Engine.Devices;
using Notify.Engine.Notifications;
using Notify.Engine.Notifications.Handlers;
using Notify.Engine.Rules;
using Notify.Engine.Storage;
using Notify.Engine.Timers;
using Notify.Learning;
using Notify.Server.Realtime;
using Notify.Server.Rules;
using Notify.Storage.MongoDb;
using Notify.Storage.Sqlite;

namespace Notify.Server.Hosting;

/// <summary>Wiring of the engine, the store and the realtime channel.</summary>
public static class NotifyServices
{
    /// <summary>The store named by <c>Storage:Provider</c>: <c>sqlite</c> (default, one node) or <c>mongodb</c> (several nodes;
    /// <c>Storage:MongoDB:ConnectionString</c>, <c>Storage:MongoDB:Database</c>, see docs/operations.md).</summary>
    public static IHostApplicationBuilder AddNotifyStorage(this IHostApplicationBuilder builder)
    {
        var provider = builder.Configuration["Storage:Provider"] ?? "sqlite";
        if (provider.Equals("mongodb", StringComparison.OrdinalIgnoreCase))
        {
            builder.Services.AddOptions<MongoOptions>().BindConfiguration("Storage:MongoDB").ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddSingleton(sp => new MongoStore(sp.GetRequiredService<IOptions<MongoOptions>>().Value, sp.GetRequiredService<ILogger<MongoStore>>()));
            builder.Services.AddSingleton<INotifyStore>(sp => sp.GetRequiredService<MongoStore>());
            builder.Services.AddSingleton<IStoreBrowser>(sp => sp.GetRequiredService<MongoStore>());
            return builder;
        }
        if (!provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Storage:Provider is '{provider}'; use 'sqlite' (one node, the default) or 'mongodb' (several nodes).");
        builder.Services.AddOptions<SqliteOptions>().BindConfiguration("Storage:Sqlite").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SqliteOptions>>().Value;
            options.Path = ContentRoot.Under(builder.Environment, options.Path);
            return new SqliteStore(options, sp.GetRequiredService<ILogger<SqliteStore>>());
        });
        builder.Services.AddSingleton<INotifyStore>(sp => sp.GetRequiredService<SqliteStore>());
        builder.Services.AddSingleton<IStoreBrowser>(sp => sp.GetRequiredService<SqliteStore>());
        builder.Services.AddSingleton<Notify.Engine.Learning.IOutcomeRecorder>(sp => sp.GetRequiredService<SqliteStore>());
        return builder;
    }

    public static IHostApplicationBuilder AddNotifyEngine(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<RulesOptions>().BindConfiguration("Rules").ValidateDataAnnotations().ValidateOnStart()
            .PostConfigure(o => o.Directory = ContentRoot.Under(builder.Environment, o.Directory));
        services.AddOptions<RealtimeOptions>().BindConfiguration("Realtime").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TimerOptions>().BindConfiguration("Timers").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeliveryOptions>().BindConfiguration("Delivery");
        services.AddSingleton<RuleSet>();
        services.AddSingleton<RuleCatalog>();
        services.AddSingleton<DeviceStateTracker>();
        services.AddSingleton(sp =>
        {
            var schedule = new TimerSchedule();
            sp.GetRequiredService<NotifyMetrics>().Meter.CreateObservableGauge("timers.held", () => schedule.Count,
                description: "Timers this node holds in memory: claimed with a lease, due within Timers:ClaimAhead");
            return schedule;
        });
        services.AddSingleton(sp =>
        {
            var hub = ActivatorUtilities.CreateInstance<ConnectionHub>(sp);
            sp.GetRequiredService<NotifyMetrics>().Meter.CreateObservableGauge("connections", () => hub.Count,
                description: "Open realtime connections (WebSocket and SSE)");
            return hub;
        });
        services.AddSingleton<IRealtimeSender>(sp => sp.GetRequiredService<ConnectionHub>());
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<DeliveryOptions>>().Value);
        services.AddSingleton<NotifyMetrics>();
        services.AddSingleton<PlanRunner>();
        services.AddSingleton(sp => NotificationHandlers.Create(sp.GetRequiredService<PlanRunner>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => sp.GetRequiredService<NotificationHandlers>().Accept);
        services.AddSingleton(sp => sp.GetRequiredService<NotificationHandlers>().Timers);
        services.AddSingleton(sp => sp.GetRequiredService<NotificationHandlers>().Acks);
        services.AddSingleton(sp => sp.GetRequiredService<NotificationHandlers>().Holds);
        services.AddSingleton(sp => sp.GetRequiredService<NotificationHandlers>().Sends);
        services.AddSingleton(sp => sp.GetRequiredService<NotificationHandlers>().Resends);
        services.AddResponseModel(path => ContentRoot.Under(builder.Environment, path));
        services.AddSingleton(sp => new TimerLoop(sp.GetRequiredService<INotifyStore>(), sp.GetRequiredService<TimerSchedule>(),
            sp.GetRequiredService<TimerHandler>().FireAsync, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<TimerOptions>>().Value, sp.GetRequiredService<ILogger<TimerLoop>>()));
        // Rules load before anything that serves requests or fires timers.
        services.AddHostedService(sp => sp.GetRequiredService<RuleCatalog>());
        services.AddHostedService<TimerService>();
        services.AddSingleton<StateFlushService>();
        services.AddHostedService(sp => sp.GetRequiredService<StateFlushService>());
        services.AddHostedService<RealtimeShutdown>();
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", tags: ["ready"])
            .AddCheck<RulesHealthCheck>("rules", tags: ["ready"]);
        return builder;
    }
}

internal sealed class StoreHealthCheck(INotifyStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            return await store.PingAsync(ct) ? HealthCheckResult.Healthy("store reachable") : HealthCheckResult.Unhealthy("store did not answer");
        }
        catch (StoreUnavailableException e)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"store unreachable: {e.Message}");
        }
    }
}
