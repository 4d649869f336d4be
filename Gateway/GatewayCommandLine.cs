using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MqttIoT.Gateway.Backends;
using MqttIoT.Hosting;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway;

/// <summary>The gateway's command-line options, shared by the gateway host and the demo.</summary>
public sealed class GatewayCommandLine
{
    /// <summary>How the gateway reaches the broker (host, port, user, keep-alive, session, TLS).</summary>
    public BrokerConnectionCommandLine Broker { get; } = new("a gateway's is its station id, escaped as in topics");
    /// <summary>Topic root.</summary>
    public Option<string> Root { get; } = new("--root") { Description = "Topic root", DefaultValueFactory = _ => TopicTree.DefaultRoot };
    /// <summary>Backend kind.</summary>
    public Option<string> Backend { get; } = new("--backend") { Description = "Station backend: simulated, opcua or ble", DefaultValueFactory = _ => "simulated" };
    /// <summary>Station id.</summary>
    public Option<string> Station { get; } = new("--station") { Description = "Station id (default: sim-1; opcua: opcua-1; ble: ble-{adapter})" };
    /// <summary>BlueZ adapter of the ble backend.</summary>
    public Option<string> Adapter { get; } = new("--adapter") { Description = "BLE: BlueZ adapter (hci0, or /org/bluez/hciN)", DefaultValueFactory = _ => "hci0" };
    /// <summary>D-Bus address of the ble backend.</summary>
    public Option<string?> DBusAddress { get; } = new("--dbus-address") { Description = "BLE: D-Bus address of bluetoothd's bus (default: the system bus)" };
    /// <summary>JSON file with the ble backend's discovery filter and device models.</summary>
    public Option<string?> BleConfig { get; } = new("--ble-config") { Description = "BLE: JSON file with the discovery filter and device models (see Gateway/Backends/Ble/README.md)" };
    /// <summary>Simulated device count.</summary>
    public Option<int> Devices { get; } = new("--devices") { Description = "Simulated devices (up to 10000)", DefaultValueFactory = _ => 5 };
    /// <summary>Notification period.</summary>
    public Option<int> NotifyMs { get; } = new("--notify-ms") { Description = "Simulated notification period in ms", DefaultValueFactory = _ => 1000 };
    /// <summary>Discover and connect every simulated device at start.</summary>
    public Option<bool> AutoConnect { get; } = new("--auto-connect") { Description = "Discover and connect every simulated device at start, watching temperatures", DefaultValueFactory = _ => true };

    /// <summary>OPC UA server endpoint.</summary>
    public Option<string> Endpoint { get; } = new("--endpoint") { Description = "OPC UA server endpoint (backend opcua), opc.tcp://host:port/path; user and password from MQTTIOT_OPCUA_USER / MQTTIOT_OPCUA_PASSWORD" };
    /// <summary>OPC UA folder whose objects are the devices.</summary>
    public Option<string> OpcUaRoot { get; } = new("--opcua-root") { Description = "OPC UA folder whose objects are the devices (backend opcua)", DefaultValueFactory = _ => "i=85" };

    /// <summary>OPC UA: how deep below the root devices are looked for.</summary>
    public Option<int> OpcUaDepth { get; } = new("--opcua-depth") { Description = "OPC UA: levels below --opcua-root where devices are looked for (without --opcua-type: the objects at exactly that depth)", DefaultValueFactory = _ => 1 };
    /// <summary>OPC UA: object types whose instances are the devices.</summary>
    public Option<string[]> OpcUaTypes { get; } = new("--opcua-type") { Description = "OPC UA: an object type (node id; subtypes count) whose instances are devices wherever they sit; repeatable" };
    /// <summary>OPC UA: how deep nested components give keys.</summary>
    public Option<int> OpcUaKeyDepth { get; } = new("--opcua-key-depth") { Description = "OPC UA: levels of object components whose variables are keys, named by browse path (Drive/Speed)", DefaultValueFactory = _ => 1 };
    /// <summary>OPC UA endpoint security.</summary>
    public Option<string> OpcUaSecurity { get; } = new("--opcua-security")
    {
        Description = "OPC UA security (backend opcua): none, best, or Policy[:Mode] such as Basic256Sha256:SignAndEncrypt", DefaultValueFactory = _ => "none",
    };
    /// <summary>OPC UA PKI folder.</summary>
    public Option<string?> OpcUaPki { get; } = new("--opcua-pki") { Description = "OPC UA PKI folder (own, trusted, rejected, issuers); trust a server by moving its certificate from rejected/certs to trusted/certs" };
    /// <summary>Trust an unknown OPC UA server certificate on first use.</summary>
    public Option<bool> OpcUaTrustOnFirstUse { get; } = new("--opcua-trust-on-first-use") { Description = "OPC UA: trust an unknown server certificate on first use (otherwise it is refused and copied to rejected/)" };

    /// <summary>File of the durable event outbox.</summary>
    public Option<string?> Outbox { get; } = new("--outbox") { Description = "File of the durable event outbox (seq and recent events survive a restart; default: in memory only)" };

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        Broker.AddTo(command);
        foreach (var option in new Option[] { Root, Backend, Station, Devices, NotifyMs, AutoConnect, Endpoint, OpcUaRoot, OpcUaDepth, OpcUaTypes, OpcUaKeyDepth, OpcUaSecurity, OpcUaPki, OpcUaTrustOnFirstUse, Adapter, DBusAddress, BleConfig })
            command.Options.Add(option);
        command.Options.Add(Outbox);
    }

    /// <summary>
    /// The configuration keys the given flags set (Hosting/README.md): the broker connection under
    /// <c>Gateway:Mqtt</c>, the station under <c>Gateway:Simulated</c>, <c>Gateway:OpcUa</c> or <c>Gateway:Ble</c>.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationValues(ParseResult parse)
    {
        const string G = GatewayHost.Section;
        var keys = Broker.MapTo(new CommandLineKeys(), $"{G}:Mqtt")
            // --session-expiry 0 asks for a clean session each time; otherwise the gateway keeps one (5 minutes by default).
            .Map(Broker.SessionExpiry, s => s is { } seconds ? (seconds != 0 ? "true" : "false") : null, $"{G}:PersistentSession")
            .Map(Root, $"{G}:Root")
            .Map(Backend, $"{G}:Backend")
            .Map(Station, $"{G}:Simulated:StationId", $"{G}:OpcUa:StationId", $"{G}:Ble:StationId")
            .Map(Devices, $"{G}:Simulated:DeviceCount")
            .Map(NotifyMs, CommandLineKeys.Milliseconds, $"{G}:Simulated:NotifyInterval")
            .Map(AutoConnect, $"{G}:Simulated:AutoDiscover", $"{G}:Simulated:AutoConnect", $"{G}:OpcUa:AutoDiscover", $"{G}:OpcUa:AutoConnect")
            .Map(Endpoint, $"{G}:OpcUa:Endpoint")
            .Map(OpcUaRoot, $"{G}:OpcUa:RootNode")
            .Map(OpcUaDepth, $"{G}:OpcUa:SearchDepth")
            .MapEach(OpcUaTypes, $"{G}:OpcUa:DeviceTypes")
            .Map(OpcUaKeyDepth, $"{G}:OpcUa:KeyDepth")
            .Map(OpcUaSecurity, $"{G}:OpcUa:Security")
            .Map(OpcUaPki, $"{G}:OpcUa:PkiPath")
            .Map(OpcUaTrustOnFirstUse, $"{G}:OpcUa:TrustServerCertificateOnFirstUse")
            .Map(Adapter, $"{G}:Ble:Adapter")
            .Map(DBusAddress, $"{G}:Ble:DBusAddress")
            .Map(BleConfig, $"{G}:Ble:ConfigFile")
            .Map(Outbox, $"{G}:OutboxPath");
        return keys.Values(parse);
    }

    /// <summary>
    /// The backend the command line asks for, made as the gateway host makes it (host defaults and the flags; no
    /// appsettings.json or environment); a configuration that fails validation throws <see cref="ArgumentException"/>.
    /// </summary>
    public IStationBackend CreateBackend(ParseResult parse, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(GatewayHost.Defaults)
            .AddInMemoryCollection(ConfigurationValues(parse)).Build();
        var services = new ServiceCollection().AddSingleton(time).AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        if (GatewayHost.AddStation(services, configuration) is { } unknown) throw new ArgumentException(unknown);
        // The provider only makes the station; the caller owns and disposes it.
        var provider = services.BuildServiceProvider();
        try { return provider.GetRequiredService<IStationBackend>(); }
        catch (OptionsValidationException e) { throw new ArgumentException(string.Join("; ", e.Failures), e); }
    }
}
