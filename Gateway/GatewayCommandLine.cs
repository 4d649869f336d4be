using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.Gateway.Backends.Ble;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway;

/// <summary>The gateway's command-line options, shared by the gateway host and the demo.</summary>
public sealed class GatewayCommandLine
{
    /// <summary>Broker host.</summary>
    public Option<string> Host { get; } = new("--host") { Description = "Broker host", DefaultValueFactory = _ => "127.0.0.1" };
    /// <summary>Broker port.</summary>
    public Option<int> Port { get; } = new("--port") { Description = "Broker port", DefaultValueFactory = _ => 1883 };
    /// <summary>Broker user name (a gateway's is its station id, escaped as in topics).</summary>
    public Option<string?> Username { get; } = new("--username") { Description = "Broker user name (for a gateway: its station id)" };
    /// <summary>Broker password.</summary>
    public Option<string?> Password { get; } = new("--password") { Description = "Broker password (or the MQTTIOT_PASSWORD environment variable)" };
    /// <summary>MQTT keep-alive in seconds: the broker publishes the gateway's last will after 1.5 times this without a word.</summary>
    public Option<int> KeepAlive { get; } = new("--keep-alive") { Description = "MQTT keep-alive in seconds", DefaultValueFactory = _ => 15 };
    /// <summary>TLS to the broker.</summary>
    public Option<bool> Tls { get; } = new("--tls") { Description = "Connect to the broker over TLS (use the broker's TLS port, e.g. 8883)" };
    /// <summary>CA that signed the broker's certificate.</summary>
    public Option<string?> CaFile { get; } = new("--ca-file") { Description = "PEM file of the CA that signed the broker's certificate (e.g. auth/certs/ca.crt)" };
    /// <summary>Topic root.</summary>
    public Option<string> Root { get; } = new("--root") { Description = "Topic root", DefaultValueFactory = _ => TopicTree.DefaultRoot };
    /// <summary>Backend kind.</summary>
    public Option<string> Backend { get; } = new("--backend") { Description = "Station backend: simulated, opcua or ble", DefaultValueFactory = _ => "simulated" };
    /// <summary>Station id.</summary>
    public Option<string> Station { get; } = new("--station") { Description = "Station id (ble: defaults to ble-{adapter})", DefaultValueFactory = _ => "sim-1" };
    /// <summary>BlueZ adapter of the ble backend.</summary>
    public Option<string> Adapter { get; } = new("--adapter") { Description = "BLE: BlueZ adapter (hci0, or /org/bluez/hciN)", DefaultValueFactory = _ => "hci0" };
    /// <summary>D-Bus address of the ble backend.</summary>
    public Option<string?> DBusAddress { get; } = new("--dbus-address") { Description = "BLE: D-Bus address of bluetoothd's bus (default: the system bus)" };
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

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Host, Port, Username, Password, KeepAlive, Tls, CaFile, Root, Backend, Station, Devices, NotifyMs,
                     AutoConnect, Endpoint, OpcUaRoot, Adapter, DBusAddress })
            command.Options.Add(option);
    }

    /// <summary>Gateway options from the parsed command line.</summary>
    public GatewayOptions GatewayOptions(ParseResult parse) => new()
    {
        Root = parse.GetValue(Root)!,
        Mqtt = new()
        {
            Host = parse.GetValue(Host)!, Port = parse.GetValue(Port), Username = parse.GetValue(Username),
            Password = parse.GetValue(Password) ?? Environment.GetEnvironmentVariable("MQTTIOT_PASSWORD"),
            KeepAlive = TimeSpan.FromSeconds(parse.GetValue(KeepAlive)),
            UseTls = parse.GetValue(Tls), TlsCaFile = parse.GetValue(CaFile),
        },
    };

    /// <summary>The backend the command line asks for.</summary>
    public IStationBackend CreateBackend(ParseResult parse, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        var backend = parse.GetValue(Backend);
        return backend switch
        {
            "simulated" => new SimulatedStation(new SimulatedStationOptions
            {
                StationId = parse.GetValue(Station)!,
                DeviceCount = parse.GetValue(Devices),
                NotifyInterval = TimeSpan.FromMilliseconds(parse.GetValue(NotifyMs)),
                AutoDiscover = parse.GetValue(AutoConnect),
                AutoConnect = parse.GetValue(AutoConnect),
            }, time),
            "opcua" => new OpcUaStation(new OpcUaStationOptions
            {
                StationId = parse.GetValue(Station)!,
                Endpoint = parse.GetValue(Endpoint) ?? throw new ArgumentException("backend opcua needs --endpoint opc.tcp://host:port/path"),
                RootNode = parse.GetValue(OpcUaRoot)!,
                UserName = Environment.GetEnvironmentVariable("MQTTIOT_OPCUA_USER"),
                Password = Environment.GetEnvironmentVariable("MQTTIOT_OPCUA_PASSWORD"),
                AutoDiscover = parse.GetValue(AutoConnect),
                AutoConnect = parse.GetValue(AutoConnect),
            }, loggerFactory ?? NullLoggerFactory.Instance, time),
            "ble" => new BleStation(new BleStationOptions
            {
                // The simulated default station id would mislead: a BLE station is named after its adapter unless told.
                StationId = parse.GetResult(Station) is { Implicit: false } ? parse.GetValue(Station) : null,
                Adapter = parse.GetValue(Adapter)!,
                DBusAddress = parse.GetValue(DBusAddress),
            }, loggerFactory, time),
            _ => throw new ArgumentException($"unknown backend '{backend}' (this build has: simulated, opcua, ble)"),
        };
    }
}
