using System.Net;
using Microsoft.Extensions.Logging;
using MqttIoT.Broker;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// The broker a conformance test talks to: by default the one <see cref="TestEnvironment"/> starts; with
/// MQTTIOT_CONFORMANCE_PORT (and optionally MQTTIOT_CONFORMANCE_HOST, default 127.0.0.1) set, an already running
/// broker such as Mosquitto, to check that both behave alike. Only the host and port are used, never the broker's
/// internals, and every client id and topic is unique to the test so a shared broker keeps tests apart.
/// The embedded broker runs as a third-party client sees it (no users, no ACL) with a Receive Maximum of 20,
/// Mosquitto's default, so that its limit can be reached in a test.
/// </summary>
public sealed class ConformanceTarget : IAsyncDisposable
{
    /// <summary>The embedded broker's Receive Maximum here.</summary>
    public const int EmbeddedReceiveMaximum = 20;

    private readonly EmbeddedBroker? _embedded;
    private MosquittoBroker? _mosquitto;
    private readonly ILoggerFactory? _loggers;
    private readonly string? _dataDirectory;
    private readonly List<WireClient> _clients = [];

    private ConformanceTarget(string host, int port, EmbeddedBroker? embedded = null, ILoggerFactory? loggers = null, string? dataDirectory = null)
    {
        Host = host;
        Port = port;
        _embedded = embedded;
        _loggers = loggers;
        _dataDirectory = dataDirectory;
        Prefix = "conformance/" + Guid.NewGuid().ToString("N")[..12];
    }

    public string Host { get; }
    public int Port { get; }

    /// <summary>A topic prefix and client id prefix no other test uses.</summary>
    public string Prefix { get; }

    public string Topic(string name) => $"{Prefix}/{name}";

    public string ClientId(string name) => $"{Prefix.Replace('/', '-')}-{name}";

    public static async Task<ConformanceTarget> StartAsync()
    {
        var port = Environment.GetEnvironmentVariable("MQTTIOT_CONFORMANCE_PORT");
        if (string.IsNullOrEmpty(port)) return await StartEmbeddedAsync();
        var host = Environment.GetEnvironmentVariable("MQTTIOT_CONFORMANCE_HOST");
        return new ConformanceTarget(string.IsNullOrEmpty(host) ? "127.0.0.1" : host, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The broker of the suite test.sh runs (MQTTIOT_TEST_BROKER): an embedded one, or an open Mosquitto of the test's
    /// own. For protocol behaviour both brokers must share: a test class using it runs in both suites.
    /// </summary>
    public static async Task<ConformanceTarget> StartForSuiteAsync()
    {
        if (!TestEnvironment.UseMosquitto) return await StartEmbeddedAsync();
        var data = Directory.CreateTempSubdirectory("mqttiot-conformance-").FullName;
        var port = FreePort.Next();
        var mosquitto = await MosquittoBroker.StartOpenAsync(port, data);
        return new ConformanceTarget("127.0.0.1", port, dataDirectory: data) { _mosquitto = mosquitto };
    }

    /// <summary>The embedded broker, when the target is one (null for Mosquitto).</summary>
    public EmbeddedBroker? Embedded => _embedded;

    /// <summary>
    /// An embedded broker of its own, whatever MQTTIOT_CONFORMANCE_PORT says: for a behaviour that depends on the
    /// broker's settings (<paramref name="configure"/>), which a broker started elsewhere cannot be given.
    /// </summary>
    public static async Task<ConformanceTarget> StartEmbeddedAsync(Action<BrokerOptions>? configure = null)
    {
        var data = Directory.CreateTempSubdirectory("mqttiot-conformance-").FullName;
        var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        var options = new BrokerOptions
        {
            Port = FreePort.Next(), BindAddress = IPAddress.Loopback, DataDirectory = data, FlushInterval = TimeSpan.FromMilliseconds(50),
            ReceiveMaximum = EmbeddedReceiveMaximum,
        };
        configure?.Invoke(options);
        var broker = new EmbeddedBroker(options, loggers.CreateLogger<EmbeddedBroker>());
        await broker.StartAsync(Deadline.Token());
        return new ConformanceTarget("127.0.0.1", options.Port, broker, loggers, data);
    }

    /// <summary>Connects a raw client that is closed with the target.</summary>
    public async Task<(WireClient Client, WirePacket ConnAck)> ConnectAsync(WireConnect connect)
    {
        var (client, connAck) = await WireClient.ConnectAsync(Host, Port, connect);
        _clients.Add(client);
        return (client, connAck);
    }

    /// <summary>Connects a raw client with a fresh session and no session expiry.</summary>
    public async Task<WireClient> ConnectAsync(string name) => (await ConnectAsync(new WireConnect { ClientId = ClientId(name) })).Client;

    /// <summary>Opens a socket without sending CONNECT.</summary>
    public async Task<WireClient> OpenAsync()
    {
        var client = await WireClient.OpenAsync(Host, Port);
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) await c.DisposeAsync();
        if (_embedded is not null) await _embedded.DisposeAsync();
        if (_mosquitto is not null) await _mosquitto.DisposeAsync();
        _loggers?.Dispose();
        if (_dataDirectory is not null)
        {
            try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
        }
    }
}
