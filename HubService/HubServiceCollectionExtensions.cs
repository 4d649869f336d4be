using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MqttIoT.Hosting;

namespace MqttIoT.Hub;

/// <summary>Registers a hub with a host.</summary>
public static class HubServiceCollectionExtensions
{
    /// <summary>Adds a hub replica configured by <paramref name="configure"/> as a hosted service; its options are validated at start.</summary>
    public static IServiceCollection AddHub(this IServiceCollection services, Action<HubOptions>? configure = null)
    {
        var options = Add(services);
        if (configure is not null) options.Configure(configure);
        return services;
    }

    /// <summary>Adds a hub replica bound from <paramref name="section"/> (e.g. <c>Hub</c>, with the connection under <c>Hub:Mqtt</c>); validated at start.</summary>
    public static IServiceCollection AddHub(this IServiceCollection services, IConfiguration section)
    {
        Add(services).Bind(section);
        return services;
    }

    private static OptionsBuilder<HubOptions> Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HubOptions>>(
            new OptionsRules<HubOptions>(new HubOptionsValidator(), o => o.Validate())));
        services.TryAddSingleton(sp => new HubService(sp.GetRequiredService<IOptions<HubOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        services.AddHostedService<HubHostedService>();
        return services.AddOptions<HubOptions>().ValidateOnStart();
    }
}

internal sealed class HubHostedService(HubService hub) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => hub.StartAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => hub.StopAsync(cancellationToken);
}
