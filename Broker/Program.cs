using System.CommandLine;
using MqttIoT.Broker;
using MqttIoT.Hosting;

// Options come from appsettings.json, MQTTIOT_ variables and these flags, in that order (Hosting/README.md).
var cli = new BrokerHost();
var root = new RootCommand("MqttIoT embedded MQTT v5 broker");
cli.AddTo(root);
root.SetAction((parse, ct) => HostRunner.RunAsync(cli.CreateBuilder(parse).Build(), ct));
return await root.Parse(args).InvokeAsync();
