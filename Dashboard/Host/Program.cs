using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MqttIoT.Dashboard;
using MqttIoT.Hosting;
using MqttIoT.Sdk;

// The dashboard on its own: `dotnet run --project Dashboard/Host -- --port 1883 --http-port 8080`.
var broker = new BrokerConnectionCommandLine("the dashboard's own client, in users-file mode");
var httpPort = new Option<int>("--http-port") { Description = "HTTP port of the dashboard", DefaultValueFactory = _ => 8080 };
var bind = new Option<string>("--bind") { Description = "Address to listen on (loopback unless you mean it)", DefaultValueFactory = _ => "127.0.0.1" };
var usersFile = new Option<string?>("--users-file") { Description = "Log in with the users of this file (Mosquitto's password format, mosquitto_passwd) instead of broker users" };
var auth = new Option<DashboardAuthMode>("--auth") { Description = "auto (default): users file if given, anonymous if the broker is, else broker users", DefaultValueFactory = _ => DashboardAuthMode.Auto };
var root = new RootCommand("MqttIoT dashboard: the fleet in a browser, through the Sdk") { httpPort, bind, usersFile, auth };
broker.AddTo(root);
root.SetAction(async (parse, ct) =>
{
    var session = broker.SessionOptions(parse);
    var options = new DashboardOptions
    {
        HttpPort = parse.GetValue(httpPort), BindAddress = IPAddress.Parse(parse.GetValue(bind)!),
        UsersFile = parse.GetValue(usersFile), Auth = parse.GetValue(auth),
        Broker = new IoTHubClientOptions
        {
            Host = session.Host, Port = session.Port, Username = session.Username, Password = session.Password,
            UseTls = session.UseTls, TlsCaFile = session.TlsCaFile, TlsClientCertificateFile = session.TlsClientCertificateFile,
            TlsClientKeyFile = session.TlsClientKeyFile,
        },
    };
    var builder = Host.CreateApplicationBuilder();
    builder.Services.AddDashboard(options);
    using var host = builder.Build();
    await host.StartAsync(ct);
    Console.WriteLine($"MqttIoT dashboard on {host.Services.GetRequiredService<DashboardServer>().Url} (broker {session.Host}:{session.Port}); Ctrl+C stops.");
    await host.WaitForShutdownAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();
