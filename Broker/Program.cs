using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MqttIoT.Broker;

var port = new Option<int>("--port") { Description = "TCP port to listen on", DefaultValueFactory = _ => 1883 };
var bind = new Option<string>("--bind") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
var data = new Option<string>("--data") { Description = "Folder for retained messages", DefaultValueFactory = _ => "data/broker" };
var root = new RootCommand("MqttIoT embedded MQTT v5 broker") { port, bind, data };
root.SetAction(async (parse, ct) =>
{
    var builder = Host.CreateApplicationBuilder();
    builder.Services.AddEmbeddedBroker(new BrokerOptions
    {
        Port = parse.GetValue(port),
        BindAddress = IPAddress.Parse(parse.GetValue(bind)!),
        DataDirectory = parse.GetValue(data),
    });
    await builder.Build().RunAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();
