using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MqttIoT.Gateway;

var cli = new GatewayCommandLine();
var root = new RootCommand("MqttIoT gateway: one station exposed over MQTT v5");
cli.AddTo(root);
root.SetAction(async (parse, ct) =>
{
    var builder = Host.CreateApplicationBuilder();
    builder.Services.AddGateway(cli.GatewayOptions(parse), services => cli.CreateBackend(parse, TimeProvider.System,
        services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
    await builder.Build().RunAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();
