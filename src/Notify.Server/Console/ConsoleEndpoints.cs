using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Notify.Server.Api;

// Not Notify.Server.Console: that namespace would hide System.Console from all server code.
namespace Notify.Server.WebConsole;

/// <summary>
/// The console: static pages under <c>/console</c> (copied beside the server's binaries from
/// <c>Console/wwwroot</c>, with the JavaScript device SDK at <c>/console/sdk/</c>) and the few read endpoints
/// it needs beyond the device and rules API (<see cref="UserListingsApi"/>, <see cref="DeviceWatchApi"/>).
/// The pages hold no secret and need no login to load; every call they make carries the key the operator
/// typed, which stays in the browser tab's <c>sessionStorage</c>.
/// </summary>
public static class ConsoleEndpoints
{
    /// <summary>The folder beside the binaries that holds the pages (see Notify.Server.csproj).</summary>
    public static string AssetsDirectory => Path.Combine(AppContext.BaseDirectory, "console");

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.MapUserListingsApi();
        app.MapDeviceWatchApi();
        if (!Directory.Exists(AssetsDirectory)) return app;
        app.UseConsoleSecurityHeaders(AssetsDirectory);
        // "/console" → "/console/", so the pages' relative links resolve. A middleware, not an endpoint: routing treats
        // "/console/" as the same route, and a matched endpoint would keep the static files from serving it.
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value != "/console") return next(context);
            context.Response.Redirect("/console/");
            return Task.CompletedTask;
        });
        var files = new PhysicalFileProvider(AssetsDirectory);
        // docs/rules.md rides along for the rule editor's help link: shown as text, not downloaded.
        var types = new FileExtensionContentTypeProvider { Mappings = { [".md"] = "text/plain; charset=utf-8" } };
        app.UseDefaultFiles(new DefaultFilesOptions { RequestPath = "/console", FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = "/console",
            FileProvider = files,
            ContentTypeProvider = types,
            // The pages are small and change with the server; revalidating each load keeps an upgrade from mixing versions.
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }
}
