using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Broker;

/// <summary>Registers the embedded broker with a host.</summary>
public static class BrokerServiceCollectionExtensions
{
    /// <summary>Adds the embedded broker as a hosted service.</summary>
    public static IServiceCollection AddEmbeddedBroker(this IServiceCollection services, BrokerOptions options)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp => new EmbeddedBroker(options, sp.GetRequiredService<ILogger<EmbeddedBroker>>(),
            sp.GetService<TimeProvider>()));
        services.AddHostedService<BrokerHostedService>();
        return services;
    }
}

internal sealed class BrokerHostedService(EmbeddedBroker broker) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => broker.StartAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => broker.StopAsync(cancellationToken);
}
