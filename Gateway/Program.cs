using System.CommandLine;
using MqttIoT.Gateway;
using MqttIoT.Hosting;

// Options come from appsettings.json, MQTTIOT_ variables and these flags, in that order (Hosting/README.md).
var cli = new GatewayCommandLine();
var root = new RootCommand("MqttIoT gateway: one station exposed over MQTT v5");
cli.AddTo(root);
root.SetAction((parse, ct) => HostRunner.RunAsync(GatewayHost.CreateBuilder(cli, parse).Build(), ct));
return await root.Parse(args).InvokeAsync();
