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
    public Option<string[]> Bind { get; } = new("--bind")
    {
        Description = "Addresses to listen on, IPv4 or IPv6 (repeat the option or separate with commas); only these",
        DefaultValueFactory = _ => ["127.0.0.1"], AllowMultipleArgumentsPerToken = true,
    };
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

    /// <summary>Connection cap.</summary>
    public Option<int> MaxConnections { get; } = new("--max-connections") { Description = "Connections open at once; more are closed at accept", DefaultValueFactory = _ => new BrokerOptions().MaxConnections };
    /// <summary>Per-client queue bound.</summary>
    public Option<int> MaxQueued { get; } = new("--max-queued") { Description = "Messages queued per client before its oldest are dropped", DefaultValueFactory = _ => new BrokerOptions().MaxPendingMessagesPerClient };
    /// <summary>Packet size bound.</summary>
    public Option<int> MaxPacketSize { get; } = new("--max-packet-size") { Description = "Largest packet a client may send, in bytes", DefaultValueFactory = _ => new BrokerOptions().MaxPacketSize };

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { Port, Bind, Data, PasswordFile, AclFile, AllowAnonymous, TlsPort, TlsCert, TlsKey, TlsClientCa, MaxConnections, MaxQueued, MaxPacketSize })
            command.Options.Add(option);
    }

    /// <summary>The configuration keys the given flags set.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationValues(ParseResult parse) => new CommandLineKeys()
        .Map(Port, $"{Section}:Port").Map(Bind, b => string.Join(',', b), $"{Section}:BindAddress").Map(Data, $"{Section}:DataDirectory")
        .Map(PasswordFile, $"{Section}:PasswordFile").Map(AclFile, $"{Section}:AclFile").Map(AllowAnonymous, $"{Section}:AllowAnonymous")
        .Map(TlsPort, $"{Section}:TlsPort").Map(TlsCert, $"{Section}:TlsCertificateFile").Map(TlsKey, $"{Section}:TlsKeyFile")
        .Map(TlsClientCa, $"{Section}:TlsClientCaFile")
        .Map(MaxConnections, $"{Section}:MaxConnections").Map(MaxQueued, $"{Section}:MaxPendingMessagesPerClient").Map(MaxPacketSize, $"{Section}:MaxPacketSize")
        .Values(parse);

    /// <summary>The broker host's builder: configuration from the host defaults, appsettings.json, <c>MQTTIOT_</c> variables and <paramref name="parse"/>'s flags.</summary>
    public HostApplicationBuilder CreateBuilder(ParseResult parse, HostApplicationBuilderSettings? settings = null)
    {
        var builder = HostConfiguration.CreateBuilder(Defaults, ConfigurationValues(parse), settings);
        AddBroker(builder.Services, builder.Configuration);
        return builder;
    }

    private static List<IPAddress>? BindList(string? text)
    {
        if (text is null) return null;
        var list = new List<IPAddress>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPAddress.TryParse(part, out var address)) return null;
            list.Add(address);
        }
        return list.Count > 0 ? list : null;
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
                // The binder cannot make an IPAddress from text (it leaves the default), so the host parses it: one address
                // or several separated by commas, IPv4 or IPv6.
                if (BindList(section[nameof(BrokerOptions.BindAddress)]) is { Count: > 0 } addresses) o.BindAddresses = addresses;
            })
            .Validate(o => section[nameof(BrokerOptions.BindAddress)] is not { } bind || BindList(bind) is not null,
                $"{Section}:BindAddress (--bind) is not an IP address or a comma-separated list of them");
        return services;
    }
}
