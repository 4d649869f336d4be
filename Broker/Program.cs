using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MqttIoT.Broker;

var port = new Option<int>("--port") { Description = "TCP port to listen on", DefaultValueFactory = _ => 1883 };
var bind = new Option<string[]>("--bind")
{
    Description = "Addresses to listen on, IPv4 or IPv6 (repeat the option or separate with commas); only these",
    DefaultValueFactory = _ => ["127.0.0.1"], AllowMultipleArgumentsPerToken = true,
};
var data = new Option<string>("--data") { Description = "Folder for retained messages and persistent sessions", DefaultValueFactory = _ => "data/broker" };
var passwd = new Option<string?>("--password-file") { Description = "Mosquitto password file (mosquitto_passwd), e.g. auth/passwd" };
var acl = new Option<string?>("--acl-file") { Description = "Mosquitto ACL file, e.g. auth/acl" };
var anonymous = new Option<bool>("--allow-anonymous") { Description = "Let clients in without a user name (default: only when no password file is given)" };
var tlsPort = new Option<int?>("--tls-port") { Description = "Also listen with TLS on this port (e.g. 8883)" };
var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate for TLS, e.g. auth/certs/server.crt (auth/make-dev-certs.sh)" };
var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key for TLS, e.g. auth/certs/server.key" };
var tlsClientCa = new Option<string?>("--tls-client-ca") { Description = "PEM CA file: the TLS listener requires client certificates issued by it, e.g. auth/certs/ca.crt" };
var root = new RootCommand("MqttIoT embedded MQTT v5 broker") { port, bind, data, passwd, acl, anonymous, tlsPort, tlsCert, tlsKey, tlsClientCa };
root.SetAction(async (parse, ct) =>
{
    var builder = Host.CreateApplicationBuilder();
    builder.Services.AddEmbeddedBroker(new BrokerOptions
    {
        Port = parse.GetValue(port),
        BindAddresses = [.. parse.GetValue(bind)!.SelectMany(b => b.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(IPAddress.Parse)],
        DataDirectory = parse.GetValue(data),
        PasswordFile = parse.GetValue(passwd),
        AclFile = parse.GetValue(acl),
        AllowAnonymous = parse.GetValue(anonymous) || parse.GetValue(passwd) is null,
        TlsPort = parse.GetValue(tlsPort), TlsCertificateFile = parse.GetValue(tlsCert), TlsKeyFile = parse.GetValue(tlsKey),
        TlsClientCaFile = parse.GetValue(tlsClientCa),
    });
    await builder.Build().RunAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();
