using System.Net;
using Microsoft.Extensions.Logging;
using MqttIoT.Broker;
using MqttIoT.Gateway;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// A whole system on loopback for one test: the embedded broker in-process on a free port (with a temporary
/// data folder), a gateway on a simulated station, and as many Sdk clients as the test wants.
/// </summary>
public sealed class TestEnvironment : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private TestEnvironment(int port, string dataDirectory)
    {
        Port = port;
        DataDirectory = dataDirectory;
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Information));
    }

    public int Port { get; }
    public string DataDirectory { get; }
    public CapturingLoggerProvider Logs { get; } = new();
    public ILoggerFactory LoggerFactory { get; }
    public EmbeddedBroker? Broker { get; private set; }
    public GatewayService Gateway { get; private set; } = null!;
    public SimulatedStation Station { get; private set; } = null!;

    /// <summary>Starts a broker and, unless told otherwise, a gateway whose simulated station is started and has discovered and connected its devices.</summary>
    public static async Task<TestEnvironment> StartAsync(Action<SimulatedStationOptions>? configure = null, bool gateway = true,
        bool connectAll = true, Action<GatewayOptions>? configureGateway = null)
    {
        var env = new TestEnvironment(FreePort.Next(), Directory.CreateTempSubdirectory("mqttiot-test-").FullName);
        await env.StartBrokerAsync();
        if (gateway) await env.StartGatewayAsync(configure, connectAll, configureGateway);
        return env;
    }

    public async Task StartBrokerAsync()
    {
        Broker = new EmbeddedBroker(new BrokerOptions
        {
            Port = Port, BindAddress = IPAddress.Loopback, DataDirectory = Path.Combine(DataDirectory, "broker"),
            FlushInterval = TimeSpan.FromMilliseconds(50),
        }, LoggerFactory.CreateLogger<EmbeddedBroker>());
        await Broker.StartAsync(Deadline.Token());
    }

    public async Task StopBrokerAsync()
    {
        if (Broker is null) return;
        await Broker.DisposeAsync();
        Broker = null;
    }

    public async Task<GatewayService> StartGatewayAsync(Action<SimulatedStationOptions>? configure = null, bool connectAll = true,
        Action<GatewayOptions>? configureGateway = null)
    {
        var options = new SimulatedStationOptions
        {
            StationId = "sim-1", DeviceCount = 3, DiscoveryInterval = TimeSpan.FromMilliseconds(10),
            NotifyInterval = TimeSpan.FromMilliseconds(50), DiscoveryBatchSize = 10,
        };
        configure?.Invoke(options);
        Station = new SimulatedStation(options);
        _owned.Add(Station);
        var gatewayOptions = new GatewayOptions { Mqtt = FastReconnect(new() { Port = Port }) };
        configureGateway?.Invoke(gatewayOptions);
        Gateway = new GatewayService(gatewayOptions, Station, LoggerFactory);
        _owned.Insert(0, Gateway);
        await Gateway.StartAsync(Deadline.Token());
        if (connectAll && options.DeviceCount > 0)
        {
            // Discover and connect through the real request path, the way a client would.
            await using var client = await ConnectClientAsync();
            var station = client.GetStation(options.StationId);
            await using var discovered = await station.SubscribeToEventsAsync(Sdk.Contract.StationEventType.DiscoveryStopped);
            await station.StartDiscoveryAsync();
            await discovered.WaitForAsync(_ => true);
            foreach (var id in await station.ListKnownDevicesAsync()) await station.ConnectDeviceAsync(id);
        }
        return Gateway;
    }

    /// <summary>Starts a hub replica with its index in <paramref name="dataDirectory"/> (a fresh folder when null); returns once it has caught up.</summary>
    public async Task<Hub.HubService> StartHubAsync(string? dataDirectory = null, Action<Hub.HubOptions>? configure = null)
    {
        var options = new Hub.HubOptions
        {
            Mqtt = FastReconnect(new() { Port = Port }),
            DataDirectory = dataDirectory ?? Path.Combine(DataDirectory, "hub-" + Guid.NewGuid().ToString("N")[..8]),
            BatchWindow = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(options);
        var hub = new Hub.HubService(options, LoggerFactory);
        _owned.Insert(0, hub);
        await hub.StartAsync(Deadline.Token());
        return hub;
    }

    public async Task<IoTHubClient> ConnectClientAsync(TimeSpan? defaultTimeout = null)
    {
        var client = await IoTHubClient.ConnectAsync(new IoTHubClientOptions
        {
            Port = Port, DefaultTimeout = defaultTimeout ?? TimeSpan.FromSeconds(10),
        }, LoggerFactory, cancellationToken: Deadline.Token());
        _owned.Add(client);
        return client;
    }

    public async Task<RawClient> ConnectRawAsync()
    {
        var raw = await RawClient.ConnectAsync(Port, LoggerFactory);
        _owned.Add(raw);
        return raw;
    }

    internal static Sdk.Transport.MqttSessionOptions FastReconnect(Sdk.Transport.MqttSessionOptions o)
    {
        o.ReconnectMinDelay = TimeSpan.FromMilliseconds(50);
        o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
        return o;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            try { await owned.DisposeAsync(); } catch (ObjectDisposedException) { }
        }
        await StopBrokerAsync();
        LoggerFactory.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}
