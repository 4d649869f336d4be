using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MqttIoT.Broker;
using MqttIoT.Dashboard;
using MqttIoT.Gateway;
using MqttIoT.Hub;
using MqttIoT.Sdk.Contract;

// The main job in one process: the embedded broker, a gateway with the simulated station, and the hub.
var cli = new GatewayCommandLine();
var data = new Option<string>("--data") { Description = "Data folder (broker retained messages, gateway outbox, hub index)", DefaultValueFactory = _ => "data" };
var httpPort = new Option<int>("--http-port") { Description = "Port of the web dashboard on 127.0.0.1 (0 turns it off)", DefaultValueFactory = _ => 8080 };
var root = new RootCommand("MqttIoT demo: embedded broker + simulated gateway + hub + web dashboard in one process") { data, httpPort };
cli.AddTo(root);
var hubCli = new HubCommandLine();
hubCli.AddTo(root, connection: false);
root.SetAction(async (parse, ct) =>
{
    var dataDir = Path.GetFullPath(parse.GetValue(data)!);
    var gateway = cli.GatewayOptions(parse);
    gateway.OutboxPath ??= Path.Combine(dataDir, "gateway", "outbox.bin");
    var builder = Host.CreateApplicationBuilder();
    builder.Services.AddEmbeddedBroker(new BrokerOptions
    {
        Port = gateway.Mqtt.Port,
        BindAddress = IPAddress.Loopback,
        DataDirectory = Path.Combine(dataDir, "broker"),
    });
    builder.Services.AddGateway(gateway, _ => cli.CreateBackend(parse, TimeProvider.System));
    var hub = new HubOptions
    {
        Root = gateway.Root,
        Mqtt = new() { Host = gateway.Mqtt.Host, Port = gateway.Mqtt.Port },
        DataDirectory = Path.Combine(dataDir, "hub"),
        MaxBatch = parse.GetValue(hubCli.Batch),
        BatchWindow = TimeSpan.FromMilliseconds(parse.GetValue(hubCli.BatchMs)),
    };
    builder.Services.AddHub(hub);
    var http = parse.GetValue(httpPort);
    // The dashboard finds the broker anonymous and says so on the page (DashboardAuthMode.Auto).
    if (http != 0) builder.Services.AddDashboard(new DashboardOptions { HttpPort = http, Broker = new() { Host = "127.0.0.1", Port = gateway.Mqtt.Port, Root = gateway.Root } });
    var host = builder.Build();
    await host.StartAsync(ct);
    var topics = new TopicTree(gateway.Root);
    var station = parse.GetValue(cli.Station)!;
    var replies = topics.ClientReplies("me");
    Console.WriteLine($$"""

        MqttIoT demo running (anonymous access, loopback only).
          broker : mqtt://127.0.0.1:{{gateway.Mqtt.Port}}  (MQTT v5, embedded MQTTnet)
          data   : {{dataDir}}
          hub    : index in {{hub.DatabasePath}}
          station: {{station}} with {{parse.GetValue(cli.Devices)}} simulated devices
          web    : {{(http != 0 ? host.Services.GetRequiredService<DashboardServer>().Url.ToString() : "off (--http-port 0)")}}  (dashboard)
        Watch everything:
          mosquitto_sub -h 127.0.0.1 -p {{gateway.Mqtt.Port}} -V mqttv5 -v -t '{{gateway.Root}}/#'
        Read a value:
          mosquitto_rr -h 127.0.0.1 -p {{gateway.Mqtt.Port}} -i me -e {{replies}} -t '{{topics.DeviceRequest(station, "dev-0001", DeviceRequestType.ReadValue)}}' -m '{"key":"temperature"}'
        Ask the hub:
          mosquitto_rr -h 127.0.0.1 -p {{gateway.Mqtt.Port}} -i me -e {{replies}} -t '{{topics.HubQuery(HubQueryType.FindDevices)}}' -m '{"filter":{"online":true},"limit":2}'
        Ctrl+C stops.

        """);
    await host.WaitForShutdownAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();
