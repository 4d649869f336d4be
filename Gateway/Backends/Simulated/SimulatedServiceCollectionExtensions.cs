using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MqttIoT.Gateway.Backends.Simulated;

/// <summary>Registers the simulated station as the gateway's backend.</summary>
public static class SimulatedServiceCollectionExtensions
{
    /// <summary>Adds a simulated station configured by <paramref name="configure"/>, validated at start.</summary>
    public static IServiceCollection AddSimulatedStation(this IServiceCollection services, Action<SimulatedStationOptions>? configure = null)
    {
        var options = Add(services);
        if (configure is not null) options.Configure(configure);
        return services;
    }

    /// <summary>Adds a simulated station bound from <paramref name="section"/> (e.g. <c>Gateway:Simulated</c>), validated at start.</summary>
    public static IServiceCollection AddSimulatedStation(this IServiceCollection services, IConfiguration section)
    {
        Add(services).Bind(section);
        return services;
    }

    private static Microsoft.Extensions.Options.OptionsBuilder<SimulatedStationOptions> Add(IServiceCollection services) =>
        StationServiceCollection.AddStation<SimulatedStationOptions>(services, new SimulatedStationOptionsValidator(), o => o.Validate(),
            (options, _, time) => new SimulatedStation(options, time));
}
