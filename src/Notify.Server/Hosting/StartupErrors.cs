using System.Reflection;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Notify.Server.Hosting;

/// <summary>
/// Runs the host, turning the start-up mistakes an operator makes (a setting that fails validation, such as a short key
/// or no keys at all; a port another process holds) into one clear message on stderr and exit code 1, instead of an
/// unhandled exception's stack trace and an abort (exit code 134).
/// </summary>
public static class StartupErrors
{
    /// <returns>The process exit code: 0 after a normal shutdown, 1 when the host could not start.</returns>
    public static async Task<int> RunAsync(WebApplication app, TextWriter errors)
    {
        // An in-process host (the tests' WebApplicationFactory) starts and disposes the host itself and wants the exception:
        // validating and disposing here as well raced it (it saw an ObjectDisposedException instead of the validation error).
        if (Assembly.GetEntryAssembly() != typeof(StartupErrors).Assembly)
        {
            await app.RunAsync();
            return 0;
        }
        try
        {
            try
            {
                // Settings first, before the host starts (it would log the same failure with a stack trace).
                app.Services.GetService<IStartupValidator>()?.Validate();
                await app.StartAsync();
            }
            catch (Exception e) when (Describe(e) is { } message)
            {
                errors.WriteLine($"Notify cannot start: {message}");
                // Stop what did start (background services, the timer loop) while the store is still open, so nothing
                // runs against a disposed store while the host is torn down.
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try { await app.StopAsync(stopping.Token); }
                catch (Exception) when (stopping.IsCancellationRequested) { }
                return 1;
            }
            await app.WaitForShutdownAsync();
            return 0;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>The operator's mistake behind <paramref name="e"/>, or null for an exception to let through.</summary>
    internal static string? Describe(Exception e) => e switch
    {
        OptionsValidationException v => string.Join(" ", v.Failures),
        AggregateException a when a.InnerExceptions.All(i => i is OptionsValidationException) =>
            string.Join(" ", a.InnerExceptions.OfType<OptionsValidationException>().SelectMany(v => v.Failures)),
        IOException { InnerException: AddressInUseException } io =>
            $"{io.Message} Another process holds that port: stop it, or give this server another one (--urls http://0.0.0.0:5081, or the Urls setting).",
        AddressInUseException inUse =>
            $"{inUse.Message} Another process holds that port: stop it, or give this server another one (--urls, or the Urls setting).",
        _ => null,
    };
}
