using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Hub;

/// <summary>Registers a hub with a host.</summary>
public static class HubServiceCollectionExtensions
{
    /// <summary>Adds a hub replica as a hosted service.</summary>
    public static IServiceCollection AddHub(this IServiceCollection services, HubOptions options)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp => new HubService(options, sp.GetRequiredService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        services.AddHostedService<HubHostedService>();
        return services;
    }
}

internal sealed class HubHostedService(HubService hub) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => hub.StartAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => hub.StopAsync(cancellationToken);
}
