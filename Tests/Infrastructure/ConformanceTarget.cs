namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// The broker a conformance test talks to: by default the one <see cref="TestEnvironment"/> starts; with
/// MQTTIOT_CONFORMANCE_PORT (and optionally MQTTIOT_CONFORMANCE_HOST, default 127.0.0.1) set, an already running
/// broker such as Mosquitto, to check that both behave alike. Only the host and port are used, never the broker's
/// internals, and every client id and topic is unique to the test so a shared broker keeps tests apart.
/// </summary>
public sealed class ConformanceTarget : IAsyncDisposable
{
    private readonly TestEnvironment? _env;
    private readonly List<WireClient> _clients = [];

    private ConformanceTarget(string host, int port, TestEnvironment? env)
    {
        Host = host;
        Port = port;
        _env = env;
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
        if (!string.IsNullOrEmpty(port))
        {
            var host = Environment.GetEnvironmentVariable("MQTTIOT_CONFORMANCE_HOST");
            return new ConformanceTarget(string.IsNullOrEmpty(host) ? "127.0.0.1" : host,
                int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), null);
        }
        // The embedded broker as a third-party client sees it: no users, no ACL.
        var env = await TestEnvironment.StartAsync(gateway: false, openEmbeddedBroker: true);
        return new ConformanceTarget("127.0.0.1", env.Port, env);
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
        if (_env is not null) await _env.DisposeAsync();
    }
}
