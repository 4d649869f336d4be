using System.CommandLine;
using MqttIoT.Cli;
using MqttIoT.Cli.Commands;

// mqttiot: the command line of MqttIoT (Cli/README.md). Parse errors are ours to report: exit code 2, never a hang.
var global = new GlobalOptions();
var root = new RootCommand("mqttiot: stations, devices and requests of an MqttIoT system, over its broker");
global.AddTo(root);
var runner = new CommandRunner(global);
HubCommands.AddTo(root, runner);
DeviceCommands.AddTo(root, runner);
WatchCommand.AddTo(root, runner);
EventsCommand.AddTo(root, runner);
CallCommand.AddTo(root, runner);

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("see mqttiot --help");
    return ExitCodes.Usage;
}
return await parse.InvokeAsync();
