using Microsoft.Extensions.Options;
using Notify.Engine.Devices;
using Notify.Engine.Notifications;

namespace Notify.Server.Realtime.Grip;

/// <summary>Wiring of Pushpin at the realtime edge; nothing changes unless <c>Realtime:Grip</c> is configured.</summary>
public static class GripServices
{
    /// <summary>Call after <c>AddNotifyEngine</c>: replaces the in-app channel and the device tracker when GRIP is on.</summary>
    public static IHostApplicationBuilder AddNotifyGrip(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GripOptions>().BindConfiguration("Realtime:Grip").ValidateDataAnnotations()
            .Validate(o => o.ControlUri is null == string.IsNullOrEmpty(o.Key), "Realtime:Grip needs both ControlUri and Key, or neither.")
            .ValidateOnStart();
        var configured = builder.Configuration.GetSection("Realtime:Grip").Get<GripOptions>();
        if (configured is null || (configured.ControlUri is null && string.IsNullOrEmpty(configured.Key))) return builder;

        services.AddSingleton(sp => sp.GetRequiredService<IOptions<GripOptions>>().Value);
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<GripOptions>();
            return new GripSignature(o.Key!, o.Issuer, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<GripEdge>();
        services.AddSingleton(sp => new GripPublisher(new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }),
            sp.GetRequiredService<GripOptions>(), sp.GetRequiredService<ILogger<GripPublisher>>()));
        // Presence is shared through the store: a device seen at the edge by any node counts as online for the
        // heartbeat timeout plus the write-behind interval (the longest another node can lag behind the one that saw it).
        services.AddSingleton(sp =>
        {
            var realtime = sp.GetRequiredService<IOptions<RealtimeOptions>>().Value;
            return new DeviceStateTracker(realtime.HeartbeatTimeout + realtime.StateFlushInterval, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<GripRealtimeSender>();
        services.AddSingleton<IRealtimeSender>(sp => sp.GetRequiredService<GripRealtimeSender>());
        return builder;
    }
}
