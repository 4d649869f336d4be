using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MqttIoT.Gateway.Backends.Ble;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Hosting;

namespace MqttIoT.Gateway;

/// <summary>
/// The gateway host as its Program.cs builds it, for the host, the demo and the tests: configuration layered as
/// <see cref="HostConfiguration"/> says (keys in Hosting/README.md), the gateway and the station
/// <c>Gateway:Backend</c> names, all validated at start.
/// </summary>
public static class GatewayHost
{
    /// <summary>The gateway's configuration section.</summary>
    public const string Section = "Gateway";

    /// <summary>The backends this build has, as <c>Gateway:Backend</c> names them.</summary>
    public static IReadOnlyList<string> Backends { get; } = ["simulated", "opcua", "ble"];

    /// <summary>Where the host's defaults differ from the options classes': the simulated station and the OPC UA station discover and connect at start.</summary>
    public static IReadOnlyDictionary<string, string?> Defaults { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        [$"{Section}:Backend"] = "simulated",
        [$"{Section}:Simulated:AutoDiscover"] = "true",
        [$"{Section}:Simulated:AutoConnect"] = "true",
        [$"{Section}:OpcUa:AutoDiscover"] = "true",
        [$"{Section}:OpcUa:AutoConnect"] = "true",
    };

    /// <summary>The gateway host's builder: configuration from the host defaults, appsettings.json, <c>MQTTIOT_</c> variables and <paramref name="parse"/>'s flags.</summary>
    public static HostApplicationBuilder CreateBuilder(GatewayCommandLine cli, ParseResult parse, HostApplicationBuilderSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(cli);
        var builder = HostConfiguration.CreateBuilder(Defaults, cli.ConfigurationValues(parse), settings);
        AddGateway(builder.Services, builder.Configuration);
        return builder;
    }

    /// <summary>Adds the gateway of section <c>Gateway</c> and its station to <paramref name="services"/>.</summary>
    public static IServiceCollection AddGateway(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddGateway(configuration.GetSection(Section));
        BrokerConnectionCommandLine.AddHostRules(services.AddOptions<GatewayOptions>(), $"{Section}:Mqtt", o => o.Mqtt);
        if (AddStation(services, configuration) is { } unknown) services.AddOptions<GatewayOptions>().Validate(_ => false, unknown);
        return services;
    }

    /// <summary>Adds the station <c>Gateway:Backend</c> names; returns what is wrong when it names none this build has.</summary>
    public static string? AddStation(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var backend = configuration[$"{Section}:Backend"];
        var section = configuration.GetSection($"{Section}:{backend switch { "opcua" => "OpcUa", "ble" => "Ble", _ => "Simulated" }}");
        switch (backend)
        {
            case "simulated":
                services.AddSimulatedStation(section);
                return null;
            case "opcua":
                services.AddOpcUaStation(section);
                services.AddOptions<OpcUaStationOptions>()
                    // The user and password stay off the command line.
                    .PostConfigure(o =>
                    {
                        o.UserName ??= Environment.GetEnvironmentVariable("MQTTIOT_OPCUA_USER");
                        o.Password ??= Environment.GetEnvironmentVariable("MQTTIOT_OPCUA_PASSWORD");
                    })
                    // The options' default endpoint suits a library caller; a host with no endpoint was given none by mistake.
                    .Validate(_ => !string.IsNullOrEmpty(section["Endpoint"]),
                        $"{Section}:OpcUa:Endpoint is not set: backend opcua needs --endpoint opc.tcp://host:port/path");
                return null;
            case "ble":
                services.AddBleStation(section);
                return null;
            default:
                return $"{Section}:Backend '{backend}' is unknown (this build has: {string.Join(", ", Backends)})";
        }
    }
}
