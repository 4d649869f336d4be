using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MqttIoT.Hosting;

namespace MqttIoT.Broker;

/// <summary>Registers the embedded broker with a host.</summary>
public static class BrokerServiceCollectionExtensions
{
    /// <summary>Adds the embedded broker configured by <paramref name="configure"/> as a hosted service; its options are validated at start.</summary>
    public static IServiceCollection AddEmbeddedBroker(this IServiceCollection services, Action<BrokerOptions>? configure = null)
    {
        var options = Add(services);
        if (configure is not null) options.Configure(configure);
        return services;
    }

    /// <summary>Adds the embedded broker bound from <paramref name="section"/> (e.g. <c>Broker</c>); validated at start.</summary>
    public static IServiceCollection AddEmbeddedBroker(this IServiceCollection services, IConfiguration section)
    {
        Add(services).Bind(section);
        return services;
    }

    private static OptionsBuilder<BrokerOptions> Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>>(
            new OptionsRules<BrokerOptions>(new BrokerOptionsValidator(), o => o.Validate())));
        services.TryAddSingleton(sp => new EmbeddedBroker(sp.GetRequiredService<IOptions<BrokerOptions>>().Value,
            sp.GetRequiredService<ILogger<EmbeddedBroker>>(), sp.GetService<TimeProvider>()));
        services.AddHostedService<BrokerHostedService>();
        return services.AddOptions<BrokerOptions>().ValidateOnStart();
    }
}

internal sealed class BrokerHostedService(EmbeddedBroker broker) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => broker.StartAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => broker.StopAsync(cancellationToken);
}
