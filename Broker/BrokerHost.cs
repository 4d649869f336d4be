using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MqttIoT.Hosting;

namespace MqttIoT.Broker;

/// <summary>
/// The broker host as its Program.cs builds it, for the host, the demo and the tests: its flags, configuration
/// layered as <see cref="HostConfiguration"/> says (keys in Hosting/README.md), the broker bound from <c>Broker</c>.
/// </summary>
public sealed class BrokerHost
{
    /// <summary>The broker's configuration section.</summary>
    public const string Section = "Broker";

    /// <summary>Where the host's defaults differ from <see cref="BrokerOptions"/>': retained messages and sessions are kept on disk.</summary>
    public static IReadOnlyDictionary<string, string?> Defaults { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        [$"{Section}:DataDirectory"] = Path.Combine("data", "broker"),
    };

    /// <summary>TCP port.</summary>
    public Option<int> Port { get; } = new("--port") { Description = "TCP port to listen on", DefaultValueFactory = _ => 1883 };
    /// <summary>Listen address.</summary>
    public Option<string> Bind { get; } = new("--bind") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
    /// <summary>Data folder.</summary>
    public Option<string> Data { get; } = new("--data") { Description = "Folder for retained messages and persistent sessions", DefaultValueFactory = _ => Path.Combine("data", "broker") };
    /// <summary>Password file.</summary>
    public Option<string?> PasswordFile { get; } = new("--password-file") { Description = "Mosquitto password file (mosquitto_passwd), e.g. auth/passwd" };
    /// <summary>ACL file.</summary>
    public Option<string?> AclFile { get; } = new("--acl-file") { Description = "Mosquitto ACL file, e.g. auth/acl" };
    /// <summary>Anonymous clients.</summary>
    public Option<bool> AllowAnonymous { get; } = new("--allow-anonymous") { Description = "Let clients in without a user name (default: only when no password file is given)" };
    /// <summary>TLS port.</summary>
    public Option<int?> TlsPort { get; } = new("--tls-port") { Description = "Also listen with TLS on this port (e.g. 8883)" };
    /// <summary>TLS certificate.</summary>
    public Option<string?> TlsCert { get; } = new("--tls-cert") { Description = "PEM certificate for TLS, e.g. auth/certs/server.crt (auth/make-dev-certs.sh)" };
    /// <summary>TLS key.</summary>
    public Option<string?> TlsKey { get; } = new("--tls-key") { Description = "PEM private key for TLS, e.g. auth/certs/server.key" };
    /// <summary>CA of client certificates.</summary>
    public Option<string?> TlsClientCa { get; } = new("--tls-client-ca") { Description = "PEM CA file: the TLS listener requires client certificates issued by it, e.g. auth/certs/ca.crt" };

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { Port, Bind, Data, PasswordFile, AclFile, AllowAnonymous, TlsPort, TlsCert, TlsKey, TlsClientCa })
            command.Options.Add(option);
    }

    /// <summary>The configuration keys the given flags set.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationValues(ParseResult parse) => new CommandLineKeys()
        .Map(Port, $"{Section}:Port").Map(Bind, $"{Section}:BindAddress").Map(Data, $"{Section}:DataDirectory")
        .Map(PasswordFile, $"{Section}:PasswordFile").Map(AclFile, $"{Section}:AclFile").Map(AllowAnonymous, $"{Section}:AllowAnonymous")
        .Map(TlsPort, $"{Section}:TlsPort").Map(TlsCert, $"{Section}:TlsCertificateFile").Map(TlsKey, $"{Section}:TlsKeyFile")
        .Map(TlsClientCa, $"{Section}:TlsClientCaFile")
        .Values(parse);

    /// <summary>The broker host's builder: configuration from the host defaults, appsettings.json, <c>MQTTIOT_</c> variables and <paramref name="parse"/>'s flags.</summary>
    public HostApplicationBuilder CreateBuilder(ParseResult parse, HostApplicationBuilderSettings? settings = null)
    {
        var builder = HostConfiguration.CreateBuilder(Defaults, ConfigurationValues(parse), settings);
        AddBroker(builder.Services, builder.Configuration);
        return builder;
    }

    /// <summary>Adds the broker of section <c>Broker</c> to <paramref name="services"/>.</summary>
    public static IServiceCollection AddBroker(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        services.AddEmbeddedBroker(section);
        services.AddOptions<BrokerOptions>()
            .PostConfigure(o =>
            {
                // Anonymous clients are let in unless a password file is given, or AllowAnonymous says otherwise.
                o.AllowAnonymous = section.GetValue<bool?>(nameof(BrokerOptions.AllowAnonymous)) ?? o.PasswordFile is null;
                // The binder cannot make an IPAddress from text (it leaves the default), so the host parses it.
                if (IPAddress.TryParse(section[nameof(BrokerOptions.BindAddress)], out var address)) o.BindAddress = address;
            })
            .Validate(o => section[nameof(BrokerOptions.BindAddress)] is not { } bind || IPAddress.TryParse(bind, out _),
                $"{Section}:BindAddress (--bind) is not an IP address");
        return services;
    }
}
