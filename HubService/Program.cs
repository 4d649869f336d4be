using System.CommandLine;
using MqttIoT.Hosting;
using MqttIoT.Hub;

// Options come from appsettings.json, MQTTIOT_ variables and these flags, in that order (Hosting/README.md).
var cli = new HubCommandLine();
var root = new RootCommand("MqttIoT hub: an index of every station and device, queried over MQTT v5");
cli.AddTo(root);
root.SetAction((parse, ct) => HostRunner.RunAsync(HubHost.CreateBuilder(cli, parse).Build(), ct));
return await root.Parse(args).InvokeAsync();
