using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MqttIoT.Hosting;

namespace MqttIoT.Hub;

/// <summary>
/// The hub host as its Program.cs builds it, for the host, the demo and the tests: configuration layered as
/// <see cref="HostConfiguration"/> says (keys in Hosting/README.md), one replica bound from <c>Hub</c>, validated at start.
/// </summary>
public static class HubHost
{
    /// <summary>The hub's configuration section.</summary>
    public const string Section = "Hub";

    /// <summary>The hub host's builder: configuration from appsettings.json, <c>MQTTIOT_</c> variables and <paramref name="parse"/>'s flags.</summary>
    public static HostApplicationBuilder CreateBuilder(HubCommandLine cli, ParseResult parse, HostApplicationBuilderSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(cli);
        var builder = HostConfiguration.CreateBuilder(new Dictionary<string, string?>(), cli.ConfigurationValues(parse), settings);
        AddHub(builder.Services, builder.Configuration);
        return builder;
    }

    /// <summary>Adds the hub of section <c>Hub</c> to <paramref name="services"/>.</summary>
    public static IServiceCollection AddHub(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddHub(configuration.GetSection(Section));
        var options = services.AddOptions<HubOptions>().PostConfigure(o =>
        {
            // A persistent session needs the same client id at every start: each replica has its own index folder, so
            // the folder names the replica.
            if (o.Mqtt.SessionExpiry > TimeSpan.Zero && o.Mqtt.ClientId.Length == 0) o.Mqtt.ClientId = HubCommandLine.ReplicaClientId(o.DataDirectory);
        });
        BrokerConnectionCommandLine.AddHostRules(options, $"{Section}:Mqtt", o => o.Mqtt);
        return services;
    }
}
