using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>Registers an OPC UA server connection as the gateway's backend.</summary>
public static class OpcUaServiceCollectionExtensions
{
    /// <summary>Adds an OPC UA station configured by <paramref name="configure"/>, validated at start.</summary>
    public static IServiceCollection AddOpcUaStation(this IServiceCollection services, Action<OpcUaStationOptions>? configure = null)
    {
        var options = Add(services);
        if (configure is not null) options.Configure(configure);
        return services;
    }

    /// <summary>Adds an OPC UA station bound from <paramref name="section"/> (e.g. <c>Gateway:OpcUa</c>), validated at start.</summary>
    public static IServiceCollection AddOpcUaStation(this IServiceCollection services, IConfiguration section)
    {
        Add(services).Bind(section);
        return services;
    }

    private static OptionsBuilder<OpcUaStationOptions> Add(IServiceCollection services) =>
        StationServiceCollection.AddStation<OpcUaStationOptions>(services, new OpcUaStationOptionsValidator(), o => o.Validate(),
            (options, loggers, time) => new OpcUaStation(options, loggers, time));
}
