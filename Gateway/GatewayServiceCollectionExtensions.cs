using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MqttIoT.Gateway.Backends;
using MqttIoT.Hosting;

namespace MqttIoT.Gateway;

/// <summary>Registers a gateway with a host; its station comes from an <c>AddXxxStation</c> (<c>AddSimulatedStation</c>, <c>AddOpcUaStation</c>, <c>AddBleStation</c>).</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>Adds a gateway configured by <paramref name="configure"/> as a hosted service; its options are validated at start.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, Action<GatewayOptions>? configure = null)
    {
        var options = Add(services);
        if (configure is not null) options.Configure(configure);
        return services;
    }

    /// <summary>Adds a gateway bound from <paramref name="section"/> (e.g. <c>Gateway</c>, with the connection under <c>Gateway:Mqtt</c>) as a hosted service; validated at start.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration section)
    {
        Add(services).Bind(section);
        return services;
    }

    private static OptionsBuilder<GatewayOptions> Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>>(
            new OptionsRules<GatewayOptions>(new GatewayOptionsValidator(), o => o.Validate())));
        services.TryAddSingleton(sp => new GatewayService(sp.GetRequiredService<IOptions<GatewayOptions>>().Value,
            sp.GetRequiredService<IStationBackend>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        services.AddHostedService<GatewayHostedService>();
        return services.AddOptions<GatewayOptions>().ValidateOnStart();
    }
}

// The container owns the gateway and the station and disposes both (the gateway first: it was made from the station).
internal sealed class GatewayHostedService(GatewayService gateway) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => gateway.StartAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => gateway.StopAsync(cancellationToken);
}
