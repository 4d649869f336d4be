using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using MqttIoT.Broker;
using MqttIoT.Gateway;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// A whole system on loopback for one test: a broker on a free port (with a temporary data folder), a gateway
/// on a simulated station (or on any backend the test passes), and as many Sdk clients as the test wants. The
/// broker is the embedded one in-process, or a real Mosquitto from the repository's mosquitto.conf (with its ACL)
/// when MQTTIOT_TEST_BROKER=mosquitto: the whole suite runs on both.
/// Disposing it fails the test (<see cref="UnexpectedLogException"/>, naming the line) when a host logged an
/// error the test did not declare with <see cref="ExpectError"/>, or a task faulted with nobody observing it
/// (<see cref="TaskScheduler.UnobservedTaskException"/>), as MQTTnet's test environment does: a test that passes
/// while a host fails behind it would hide the failure. (A test whose own assertion failed reports the log check
/// instead when both happen: the error line is then usually the cause.)
/// </summary>
public sealed class TestEnvironment : IAsyncDisposable
{
    /// <summary>User of Sdk and raw clients on a broker that wants one.</summary>
    public const string ClientUser = "client";

    /// <summary>Which broker this test run uses.</summary>
    public static bool UseMosquitto { get; } =
        string.Equals(Environment.GetEnvironmentVariable("MQTTIOT_TEST_BROKER"), "mosquitto", StringComparison.OrdinalIgnoreCase);

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly HashSet<string> _users = new(StringComparer.Ordinal) { "hub", ClientUser, "sim-1" };
    private MosquittoBroker? _mosquitto;
    // The embedded broker as a child process (the broker host), so that a test can kill it with SIGKILL.
    private HostProcess? _brokerHost;
    private bool _killable;
    // An embedded broker with no users and no ACL, whatever the run's broker: for raw protocol tests (conformance).
    private bool _open;
    // The TLS listener asks clients for a certificate from the development CA.
    private bool _requireClientCertificate;

    // MQTTnet's own connection tasks end with MqttCommunicationException (broken pipe, connection reset) when the peer goes
    // away, as tests make brokers and clients do; the finalizer reports them at random in whichever test runs then.
    // They are MQTTnet's, not ours: tolerated. Any other unobserved exception still fails the test.
    private static readonly ConcurrentQueue<Func<Exception, bool>> ToleratedUnobserved = new([x => x is MQTTnet.Exceptions.MqttCommunicationException]);
    private readonly ConcurrentQueue<Exception> _unobserved = new();
    private readonly EventHandler<UnobservedTaskExceptionEventArgs> _onUnobserved;

    private TestEnvironment(int port, string dataDirectory)
    {
        Port = port;
        DataDirectory = dataDirectory;
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Information));
        _onUnobserved = (_, e) =>
        {
            if (!e.Exception.InnerExceptions.All(x => ToleratedUnobserved.Any(tolerated => tolerated(x)))) _unobserved.Enqueue(e.Exception);
        };
        TaskScheduler.UnobservedTaskException += _onUnobserved;
    }

    /// <summary>
    /// Declares that error lines with this EventId are what the test provokes (a refused write, a broken file), so
    /// that they do not fail it at dispose.
    /// </summary>
    public void ExpectError(int eventId) => Logs.ExpectError(eventId);

    /// <summary>
    /// Declares a task exception nobody observes that a known fault leaves behind (say which in a TODO where it is
    /// called), so that it fails no test. Process-wide, for the rest of the run: the runtime reports such an exception
    /// to every listener, so a test running beside the one that provoked it would see it too.
    /// </summary>
    public static void ExpectUnobservedTaskException(Func<Exception, bool> match) => ToleratedUnobserved.Enqueue(match);

    public int Port { get; }
    /// <summary>The broker's TLS listener (certificates from <see cref="DevelopmentCertificates"/>).</summary>
    public int TlsPort { get; } = FreePort.Next();
    public string DataDirectory { get; }
    public CapturingLoggerProvider Logs { get; } = new();
    public ILoggerFactory LoggerFactory { get; }
    /// <summary>The embedded broker, when this run uses it.</summary>
    public EmbeddedBroker? Broker { get; private set; }

    /// <summary>The Mosquitto process, when this run uses it.</summary>
    public MosquittoBroker? Mosquitto => _mosquitto;

    /// <summary>How often a killable Mosquitto saves its persistence file, in seconds: what a kill -9 can lose at most.</summary>
    public const int KillableMosquittoAutosave = 1;
    public GatewayService Gateway { get; private set; } = null!;
    public SimulatedStation Station { get; private set; } = null!;
    /// <summary>The backend the gateway hosts, simulated or not.</summary>
    public IStationBackend Backend { get; private set; } = null!;

    /// <summary>Starts a broker and, unless told otherwise, a gateway whose simulated station is started and has discovered and connected its devices.</summary>
    /// <param name="backend">Another backend instead of the simulated station (created with the environment's logger factory); nothing is discovered or connected for it.</param>
    /// <param name="gatewayTime">The clock of every gateway this environment starts (its request deadlines, its session's
    /// reconnect backoff): a <c>FakeTimeProvider</c> for a test about time. The station, the broker and the clients keep the system clock.</param>
    /// <param name="killableBroker">A broker <see cref="KillBrokerAsync"/> can kill with SIGKILL: the embedded one as the broker host in a
    /// child process (no TLS listener), Mosquitto saving its persistence file every <see cref="KillableMosquittoAutosave"/> s.</param>
    public static async Task<TestEnvironment> StartAsync(Action<SimulatedStationOptions>? configure = null, bool gateway = true,
        bool connectAll = true, Action<GatewayOptions>? configureGateway = null, IEnumerable<string>? users = null, bool openEmbeddedBroker = false,
        Func<ILoggerFactory, IStationBackend>? backend = null, bool killableBroker = false, bool requireClientCertificate = false,
        TimeProvider? gatewayTime = null)
    {
        var env = new TestEnvironment(FreePort.Next(), Directory.CreateTempSubdirectory("mqttiot-test-").FullName)
        {
            _open = openEmbeddedBroker, _killable = killableBroker, _requireClientCertificate = requireClientCertificate,
            GatewayTime = gatewayTime,
        };
        var station = new SimulatedStationOptions();
        configure?.Invoke(station);
        var custom = backend?.Invoke(env.LoggerFactory);
        env.AddUser(Sdk.Contract.TopicSegment.Escape(custom?.Id ?? station.StationId));
        foreach (var user in users ?? []) env.AddUser(user);
        await env.StartBrokerAsync();
        if (custom is not null) await env.StartGatewayAsync(custom, connectAll: false, configureGateway);
        else if (gateway) await env.StartGatewayAsync(configure, connectAll, configureGateway);
        return env;
    }

    /// <summary>The clock of the gateways this environment starts (the system's unless the test gave one).</summary>
    public TimeProvider? GatewayTime { get; private set; }

    /// <summary>Adds a broker user (a gateway's is its escaped station id); takes effect at the next broker start.</summary>
    public void AddUser(string user) => _users.Add(user);

    /// <summary>Credentials for a gateway of <paramref name="station"/>: its escaped station id, as auth/acl wants.</summary>
    public (string? User, string? Password) GatewayCredentials(string station) =>
        (Sdk.Contract.TopicSegment.Escape(station), MosquittoBroker.Password);

    /// <summary>Credentials for clients.</summary>
    public (string? User, string? Password) ClientCredentials => (ClientUser, MosquittoBroker.Password);

    /// <summary>Starts a broker and a gateway on the backend <paramref name="backend"/> makes with the environment's loggers (disposed with it).</summary>
    public static async Task<TestEnvironment> StartAsync(Func<ILoggerFactory, IStationBackend> createBackend, bool connectAll = true,
        Action<GatewayOptions>? configureGateway = null)
    {
        var env = new TestEnvironment(FreePort.Next(), Directory.CreateTempSubdirectory("mqttiot-test-").FullName);
        var station = createBackend(env.LoggerFactory);
        env.AddUser(Sdk.Contract.TopicSegment.Escape(station.Id));
        await env.StartBrokerAsync();
        await env.StartGatewayAsync(station, connectAll, configureGateway);
        return env;
    }

    public async Task StartBrokerAsync()
    {
        if (UseMosquitto && !_open)
        {
            _mosquitto = await MosquittoBroker.StartAsync(Port, Path.Combine(DataDirectory, "broker"), _users, TlsPort,
                _killable ? KillableMosquittoAutosave : null, _requireClientCertificate);
            return;
        }
        // Both brokers run with the repository's ACL (auth/acl) and a password file of the test's users.
        var passwd = Path.Combine(DataDirectory, "auth", "passwd");
        Directory.CreateDirectory(Path.GetDirectoryName(passwd)!);
        await MosquittoBroker.WritePasswordFileAsync(passwd, _users);
        var acl = await TestAcl.WriteAsync(Path.Combine(DataDirectory, "auth", "acl"), _users);
        if (_killable)
        {
            _brokerHost = HostProcess.StartBroker(Port, Path.Combine(DataDirectory, "broker"),
                "--password-file", passwd, "--acl-file", acl);
            await _brokerHost.WaitUntilListeningAsync(Port);
            return;
        }
        var certificates = await DevelopmentCertificates.EnsureAsync();
        Broker = new EmbeddedBroker(new BrokerOptions
        {
            Port = Port, BindAddress = IPAddress.Loopback, DataDirectory = Path.Combine(DataDirectory, "broker"),
            FlushInterval = TimeSpan.FromMilliseconds(50),
            PasswordFile = _open ? null : passwd, AclFile = _open ? null : acl,
            AllowAnonymous = _open,
            TlsPort = TlsPort, TlsCertificateFile = Path.Combine(certificates, "server.crt"), TlsKeyFile = Path.Combine(certificates, "server.key"),
            TlsClientCaFile = _requireClientCertificate ? Path.Combine(certificates, "ca.crt") : null,
        }, LoggerFactory.CreateLogger<EmbeddedBroker>());
        await Broker.StartAsync(Deadline.Token());
    }

    /// <summary>SIGKILL to the broker process (needs <c>killableBroker</c>): it saves nothing and says nothing to its clients.</summary>
    public async Task KillBrokerAsync()
    {
        if (_mosquitto is not null) await _mosquitto.KillAsync();
        else if (_brokerHost is not null) await _brokerHost.KillAsync();
        else throw new InvalidOperationException("an in-process broker cannot be killed: start the environment with killableBroker");
        await StopBrokerAsync();
    }

    public async Task StopBrokerAsync()
    {
        if (_brokerHost is not null)
        {
            await _brokerHost.StopAsync();
            await _brokerHost.DisposeAsync();
            _brokerHost = null;
        }
        if (_mosquitto is not null)
        {
            await _mosquitto.DisposeAsync();
            _mosquitto = null;
        }
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
        return await StartGatewayAsync(Station, connectAll && options.DeviceCount > 0, configureGateway);
    }

    /// <summary>A gateway on any backend; with <paramref name="connectAll"/>, discovery runs and every device found is connected.</summary>
    public async Task<GatewayService> StartGatewayAsync(IStationBackend backend, bool connectAll = true, Action<GatewayOptions>? configureGateway = null)
    {
        Backend = backend;
        _owned.Add(backend);
        var (user, password) = GatewayCredentials(backend.Id);
        var gatewayOptions = new GatewayOptions { Mqtt = FastReconnect(new() { Port = Port, Username = user, Password = password }) };
        configureGateway?.Invoke(gatewayOptions);
        Gateway = new GatewayService(gatewayOptions, backend, LoggerFactory, GatewayTime);
        _owned.Insert(0, Gateway);
        await Gateway.StartAsync(Deadline.Token());
        if (connectAll)
        {
            // Discover and connect through the real request path, the way a client would.
            await using var client = await ConnectClientAsync();
            var station = client.GetStation(backend.Id);
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
            Mqtt = FastReconnect(new() { Port = Port, Username = "hub", Password = MosquittoBroker.Password }),
            DataDirectory = dataDirectory ?? Path.Combine(DataDirectory, "hub-" + Guid.NewGuid().ToString("N")[..8]),
            BatchWindow = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(options);
        var hub = new Hub.HubService(options, LoggerFactory);
        _owned.Insert(0, hub);
        await hub.StartAsync(Deadline.Token());
        return hub;
    }

    /// <summary>An Sdk client (disposed with the environment); <paramref name="time"/> is its clock (its call timeouts), the system's by default.</summary>
    public async Task<IoTHubClient> ConnectClientAsync(TimeSpan? defaultTimeout = null, Action<IoTHubClientOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new IoTHubClientOptions
        {
            Port = Port, DefaultTimeout = defaultTimeout ?? TimeSpan.FromSeconds(10),
            Username = ClientCredentials.User, Password = ClientCredentials.Password,
        };
        configure?.Invoke(options);
        var client = await IoTHubClient.ConnectAsync(options, LoggerFactory, time, Deadline.Token());
        _owned.Add(client);
        return client;
    }

    /// <summary>A raw MQTT client; with <paramref name="asStation"/> it logs in as that station's gateway (the ACL lets it publish that station's state).</summary>
    public async Task<RawClient> ConnectRawAsync(string? asStation = null)
    {
        var (user, password) = asStation is null ? ClientCredentials : GatewayCredentials(asStation);
        var raw = await RawClient.ConnectAsync(Port, LoggerFactory, user, password);
        raw.Diagnostics = Logs;
        _owned.Add(raw);
        return raw;
    }

    internal static MqttIoT.Protocol.MqttSessionOptions FastReconnect(MqttIoT.Protocol.MqttSessionOptions o)
    {
        o.ReconnectMinDelay = TimeSpan.FromMilliseconds(50);
        o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
        return o;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var owned in _owned)
            {
                try { await owned.DisposeAsync(); } catch (ObjectDisposedException) { }
            }
            await StopBrokerAsync();
        }
        finally
        {
            // A task that faulted with nobody awaiting it is reported when the GC finalizes it: make that happen now,
            // while this environment still listens. (The event is process-wide: a task of a test running beside this
            // one may be reported here; it is a real fault either way, and its stack says whose.)
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= _onUnobserved;
            LoggerFactory.Dispose();
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        }
        if (!_unobserved.IsEmpty)
            throw new UnexpectedLogException($"{_unobserved.Count} task exception(s) nobody observed; the first:{Environment.NewLine}{_unobserved.First()}");
        Logs.ThrowIfUnexpectedErrors();
    }
}
