using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MqttIoT.Hub;

var cli = new HubCommandLine();
var root = new RootCommand("MqttIoT hub: an index of every station and device, queried over MQTT v5");
cli.AddTo(root);
root.SetAction(async (parse, ct) =>
{
    var builder = Host.CreateApplicationBuilder();
    builder.Services.AddHub(cli.HubOptions(parse));
    await builder.Build().RunAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();
