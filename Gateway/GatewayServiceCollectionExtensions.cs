using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends;

namespace MqttIoT.Gateway;

/// <summary>Registers a gateway with a host.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>Adds a gateway over the backend the factory makes, as a hosted service.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, GatewayOptions options,
        Func<IServiceProvider, IStationBackend> backendFactory)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(backendFactory);
        services.AddSingleton(sp => new GatewayService(options, sp.GetRequiredService<IStationBackend>(),
            sp.GetRequiredService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        services.AddHostedService<GatewayHostedService>();
        return services;
    }
}

internal sealed class GatewayHostedService(GatewayService gateway) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => gateway.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await gateway.StopAsync(cancellationToken).ConfigureAwait(false);
        await gateway.Station.DisposeAsync().ConfigureAwait(false);
    }
}
