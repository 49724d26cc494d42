using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using Notify.Server;
using Prometheus;
using Notify.Server.Api;
using Notify.Server.Auth;
using Notify.Server.WebConsole;
using Notify.Server.Hosting;
using Notify.Server.Learning;
using Notify.Server.Problems;
using Notify.Server.Realtime;
using Notify.Server.Realtime.Grip;
using Notify.Server.Rules;

if (TrainEntry.IsTrain(args))
{
    Environment.ExitCode = await TrainEntry.RunAsync(args, Console.Out, Console.Error);
    return;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = ContentRoot.Resolve(args) });

builder.AddNotifyStorage();
builder.AddNotifyEngine();
builder.AddNotifyGrip();
builder.AddNotifyChannels();
builder.Services.AddNotifyAuth();
builder.Services.ConfigureHttpJsonOptions(o => ServerJson.Configure(o.SerializerOptions));
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.AddNotifyOpenApi();
// Bodies are small JSON documents; 64 KiB leaves room and refuses abuse early (413 problem).
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = builder.Configuration.GetValue("Api:MaxBodyBytes", 64 * 1024));

// Publish .NET meters (Notify's, ASP.NET Core's) at /metrics for the life of the process.
_ = Program.Meters;
_ = Program.DefaultMeters;

// Last, so it wraps every logger provider: device tokens in ?access_token= never reach the logs.
builder.Logging.RedactTokens();
var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages(StatusCodeProblems.WriteAsync);
app.UseWebSockets();
app.UseAuthentication();
app.UseAuthorization();

app.MapNotificationsApi();
app.MapUsersApi();
app.MapUserSettingsApi();
app.MapSimulateApi();
app.MapDevicesApi();
app.MapRealtimeApi();
app.MapRulesApi();
app.MapConsole();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthReports.WriteAsync });
app.MapNotifyOpenApi();
app.MapMetrics("/metrics");

if (app.Environment.IsDevelopment())
    app.Logger.LogWarning("Running in Development: the keys in appsettings.Development.json are live. " +
        "Do not expose this server; run the published build (or dotnet run --no-launch-profile) with real keys instead.");

Environment.ExitCode = await StartupErrors.RunAsync(app, Console.Error);

/// <summary>The entry point, visible to the functional tests' WebApplicationFactory.</summary>
public partial class Program
{
    /// <summary>One meter adapter per process (several hosts share it in tests; disposing it would stop them all).</summary>
    /// <remarks>Only Notify's own meter: publishing ASP.NET Core's per-request histograms through the adapter cost more
    /// CPU per request than a notify decision (measured with bench/ load).</remarks>
    internal static readonly IDisposable Meters = MeterAdapter.StartListening(new MeterAdapterOptions
    {
        InstrumentFilterPredicate = instrument => instrument.Meter.Name == Notify.Engine.Notifications.NotifyMetrics.MeterName,
    });

    /// <summary>
    /// prometheus-net's default meter adapter (it publishes every .NET meter: System.Runtime's and the like), without the
    /// runtime's private diagnostics meters: MsQuic's (<c>Private.InternalDiagnostics.System.Net.Quic.MsQuic</c>) alone
    /// added 32 series no operator can act on.
    /// </summary>
    internal static readonly bool DefaultMeters = ConfigureDefaultMeters();

    private static bool ConfigureDefaultMeters()
    {
        Metrics.ConfigureMeterAdapter(options =>
        {
            var standard = options.InstrumentFilterPredicate;
            options.InstrumentFilterPredicate = instrument =>
                !instrument.Meter.Name.StartsWith("Private.InternalDiagnostics.", StringComparison.Ordinal) && standard(instrument);
        });
        return true;
    }
}
