using System.CommandLine;
using MqttIoT.Demo;
using MqttIoT.Hosting;

// The main job in one process: the embedded broker, a gateway with the simulated station, and the hub.
// Options come from appsettings.json, MQTTIOT_ variables and these flags, in that order (Hosting/README.md).
var demo = new DemoHost();
var root = new RootCommand("MqttIoT demo: embedded broker + simulated gateway + hub + web dashboard in one process");
demo.AddTo(root);
root.SetAction((parse, ct) => HostRunner.RunAsync(demo.CreateBuilder(parse).Build(), ct, DemoHost.PrintBanner));
return await root.Parse(args).InvokeAsync();
