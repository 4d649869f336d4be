using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>Registers a BlueZ adapter as the gateway's backend.</summary>
public static class BleServiceCollectionExtensions
{
    /// <summary>Adds a BLE station configured by <paramref name="configure"/>, validated at start.</summary>
    public static IServiceCollection AddBleStation(this IServiceCollection services, Action<BleStationOptions>? configure = null)
    {
        var options = Add(services);
        if (configure is not null) options.Configure(configure);
        return services;
    }

    /// <summary>
    /// Adds a BLE station bound from <paramref name="section"/> (e.g. <c>Gateway:Ble</c>: <c>Adapter</c>,
    /// <c>DBusAddress</c>, <c>Filter</c>, <c>Models</c>, ...), validated at start. A <c>ConfigFile</c> key names a
    /// <c>--ble-config</c> JSON file whose filter and models replace the section's.
    /// </summary>
    public static IServiceCollection AddBleStation(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        Add(services).Bind(section).PostConfigure(options =>
        {
            try { BleConfigFile.Apply(section["ConfigFile"], options); }
            // The file is part of the configuration: what is wrong in it is reported with the rest, at start.
            catch (ArgumentException e) { throw new OptionsValidationException(Options.DefaultName, typeof(BleStationOptions), [e.Message]); }
        });
        return services;
    }

    private static OptionsBuilder<BleStationOptions> Add(IServiceCollection services) =>
        StationServiceCollection.AddStation<BleStationOptions>(services, new BleStationOptionsValidator(), o => o.Validate(),
            (options, loggers, time) => new BleStation(options, loggers, time));
}
