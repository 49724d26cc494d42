using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Notify.Engine.Learning;

namespace Notify.Learning;

public static class LearningServices
{
    /// <summary>The response model: <see cref="ResponseScoring"/> for the workflow, filled and refreshed by the hosted
    /// <see cref="ResponseModelLoader"/> from <see cref="LearningOptions.ModelPath"/> (resolved by <paramref name="resolvePath"/>).</summary>
    public static IServiceCollection AddResponseModel(this IServiceCollection services, Func<string, string> resolvePath)
    {
        services.AddOptions<LearningOptions>().BindConfiguration("Learning").ValidateDataAnnotations().ValidateOnStart()
            .PostConfigure(o => o.ModelPath = resolvePath(o.ModelPath));
        services.AddSingleton<ResponseScoring>();
        services.AddSingleton<ResponseModelLoader>();
        services.AddHostedService(sp => sp.GetRequiredService<ResponseModelLoader>());
        // Each user's typical response time, for steps with a learned wait: from the store's outcomes at start, then acks.
        services.AddSingleton<ResponseTimes>(_ => new ResponseTimes());
        services.AddHostedService<ResponseTimesLoader>();
        return services;
    }
}
