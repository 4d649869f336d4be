using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MqttIoT.Broker;
using MqttIoT.Dashboard;
using MqttIoT.Gateway;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Hosting;
using MqttIoT.Hub;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Demo;

/// <summary>
/// The main job in one process: the embedded broker (section <c>Broker</c>), a gateway (<c>Gateway</c>, the
/// simulated station unless told otherwise) and the hub (<c>Hub</c>), configured as the three hosts are
/// (Hosting/README.md). The gateway and the hub always connect to the broker beside them.
/// </summary>
internal sealed class DemoHost
{
    private readonly GatewayCommandLine _gateway = new();
    private readonly HubCommandLine _hub = new();
    private readonly Option<string> _data = new("--data") { Description = "Data folder (broker retained messages, gateway outbox, hub index)", DefaultValueFactory = _ => "data" };
    private readonly Option<int> _httpPort = new("--http-port") { Description = "Port of the web dashboard on 127.0.0.1 (0 turns it off)", DefaultValueFactory = _ => 8080 };

    public void AddTo(Command command)
    {
        command.Options.Add(_data);
        command.Options.Add(_httpPort);
        _gateway.AddTo(command);
        _hub.AddTo(command, connection: false);
    }

    public HostApplicationBuilder CreateBuilder(ParseResult parse)
    {
        var defaults = new Dictionary<string, string?>(GatewayHost.Defaults, StringComparer.OrdinalIgnoreCase)
        {
            [$"{BrokerHost.Section}:DataDirectory"] = Path.Combine("data", "broker"),
            [$"{HubHost.Section}:DataDirectory"] = Path.Combine("data", "hub"),
            [$"{GatewayHost.Section}:OutboxPath"] = Path.Combine("data", "gateway", "outbox.bin"),
        };
        var flags = new CommandLineKeys()
            .Map(_data, d => Path.Combine(d, "broker"), $"{BrokerHost.Section}:DataDirectory")
            .Map(_data, d => Path.Combine(d, "hub"), $"{HubHost.Section}:DataDirectory")
            .Map(_data, d => Path.Combine(d, "gateway", "outbox.bin"), $"{GatewayHost.Section}:OutboxPath")
            .Map(_gateway.Broker.Port, $"{BrokerHost.Section}:Port")
            .Map(_gateway.Root, $"{HubHost.Section}:Root")
            .Map(_hub.Batch, $"{HubHost.Section}:MaxBatch")
            .Map(_hub.BatchMs, CommandLineKeys.Milliseconds, $"{HubHost.Section}:BatchWindow");
        var builder = HostConfiguration.CreateBuilder(defaults, [.. _gateway.ConfigurationValues(parse), .. flags.Values(parse)]);
        BrokerHost.AddBroker(builder.Services, builder.Configuration);
        GatewayHost.AddGateway(builder.Services, builder.Configuration);
        HubHost.AddHub(builder.Services, builder.Configuration);
        var services = builder.Services;
        // Anonymous access on loopback only: the gateway and the hub reach the broker beside them.
        services.AddOptions<BrokerOptions>().PostConfigure(o => o.BindAddress = IPAddress.Loopback);
        services.AddOptions<GatewayOptions>().PostConfigure<IOptions<BrokerOptions>>((o, broker) => (o.Mqtt.Host, o.Mqtt.Port) = ("127.0.0.1", broker.Value.Port));
        services.AddOptions<HubOptions>().PostConfigure<IOptions<BrokerOptions>>((o, broker) => (o.Mqtt.Host, o.Mqtt.Port) = ("127.0.0.1", broker.Value.Port));
        // The web dashboard over the Sdk, on loopback; it finds the broker anonymous and says so on the page (DashboardAuthMode.Auto).
        if (parse.GetValue(_httpPort) is var http and not 0)
        {
            var port = builder.Configuration.GetValue<int?>($"{BrokerHost.Section}:Port") ?? new BrokerOptions().Port;
            var root = builder.Configuration.GetValue<string?>($"{GatewayHost.Section}:Root") ?? TopicTree.DefaultRoot;
            services.AddDashboard(new DashboardOptions { HttpPort = http, Broker = new() { Host = "127.0.0.1", Port = port, Root = root } });
        }
        return builder;
    }

    public static void PrintBanner(IServiceProvider services)
    {
        var broker = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var hub = services.GetRequiredService<IOptions<HubOptions>>().Value;
        var station = services.GetRequiredService<IStationBackend>().Id;
        var topics = new TopicTree(services.GetRequiredService<IOptions<GatewayOptions>>().Value.Root);
        var replies = topics.ClientReplies("me");
        var simulated = services.GetRequiredService<IStationBackend>() is SimulatedStation
            ? $" with {services.GetRequiredService<IOptions<SimulatedStationOptions>>().Value.DeviceCount} simulated devices" : "";
        Console.WriteLine($$"""

            MqttIoT demo running (anonymous access, loopback only).
              broker : mqtt://127.0.0.1:{{broker.Port}}  (MQTT v5, embedded MQTTnet), data in {{Path.GetFullPath(broker.DataDirectory ?? ".")}}
              hub    : index in {{hub.DatabasePath}}
              station: {{station}}{{simulated}}
              web    : {{(services.GetService<DashboardServer>() is { } web ? web.Url.ToString() : "off (--http-port 0)")}}  (dashboard)
            Watch everything:
              mosquitto_sub -h 127.0.0.1 -p {{broker.Port}} -V mqttv5 -v -t '{{topics.Root}}/#'
            Read a value:
              mosquitto_rr -h 127.0.0.1 -p {{broker.Port}} -i me -e {{replies}} -t '{{topics.DeviceRequest(station, "dev-0001", DeviceRequestType.ReadValue)}}' -m '{"key":"temperature"}'
            Ask the hub:
              mosquitto_rr -h 127.0.0.1 -p {{broker.Port}} -i me -e {{replies}} -t '{{topics.HubQuery(HubQueryType.FindDevices)}}' -m '{"filter":{"online":true},"limit":2}'
            Ctrl+C stops.

            """);
    }
}
