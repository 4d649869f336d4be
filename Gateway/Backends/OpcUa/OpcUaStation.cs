using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>
/// A station on one OPC UA server endpoint. START connects, and a supervisor keeps reconnecting with backoff
/// while the station runs: devices go DISCONNECTED when the link breaks and come back CONNECTED (the event's data
/// says <c>reconnected</c>) with their watched keys monitored again. Discovery browses the configured root folder;
/// each object below it is a device (<see cref="OpcUaDevice"/>). All watched keys share one subscription.
/// </summary>
public sealed partial class OpcUaStation : IStationBackend
{
    private readonly OpcUaStationOptions _options;
    private readonly ILogger _logger;
    private readonly Func<OpcUaClientOptions, CancellationToken, Task<IOpcUaSession>> _connect;
    private readonly NodeId _root;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _subscriptionLock = new(1, 1);
    private readonly Dictionary<string, OpcUaDevice> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeId, (OpcUaDevice Device, OpcUaVariable Variable)> _watchedNodes = [];
    private readonly Dictionary<(string Device, string Key), MonitoredItem> _items = [];
    private IOpcUaSession? _session;
    private OpcUaSubscription? _subscription;
    private CancellationTokenSource? _running;
    private Task _supervisor = Task.CompletedTask;
    private bool _started;
    private bool _discoveryEnabled = true;
    private bool _discovering;
    private string _connection = "stopped";
    private int _reconnects;
    private double? _lastDiscoveryMs;
    private volatile IBackendEventSink? _sink;

    /// <summary>Creates the station, stopped. <paramref name="connect"/> opens sessions (this project's client by default).</summary>
    public OpcUaStation(OpcUaStationOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null,
        Func<OpcUaClientOptions, CancellationToken, Task<IOpcUaSession>>? connect = null)
    {
        options.Validate();
        _options = options;
        _root = NodeId.Parse(options.RootNode);
        Time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger<OpcUaStation>();
        _connect = connect ?? (async (o, ct) => await OpcUaSession.ConnectAsync(o, loggerFactory, Time, ct).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public string Id => _options.StationId;

    /// <summary>The server endpoint.</summary>
    public string Endpoint => _options.Endpoint;

    /// <summary>How many times the link to the server was re-established.</summary>
    public int Reconnects { get { lock (_lock) return _reconnects; } }

    /// <summary>How long the last discovery's browse (and type read) took.</summary>
    public double? LastDiscoveryMs { get { lock (_lock) return _lastDiscoveryMs; } }

    internal TimeProvider Time { get; }

    internal IBackendEventSink? Sink => _sink;

    /// <inheritdoc />
    public void SetEventSink(IBackendEventSink? sink) => _sink = sink;

    /// <inheritdoc />
    public StationProps GetProps()
    {
        lock (_lock)
        {
            var attributes = new JsonObject
            {
                ["endpoint"] = _options.Endpoint,
                ["rootNode"] = _options.RootNode,
                ["connection"] = _connection,
                ["reconnects"] = _reconnects,
                ["identity"] = _options.UserName is null ? "anonymous" : "user",
            };
            if (_lastDiscoveryMs is { } ms) attributes["lastDiscoveryMs"] = ms;
            return new StationProps
            {
                Id = Id,
                Backend = "opcua",
                Started = _started,
                DiscoveryEnabled = _discoveryEnabled,
                Discovering = _discovering,
                KnownDevices = _devices.Count,
                ConnectedDevices = _devices.Values.Count(d => d.Connected),
                Attributes = attributes,
            };
        }
    }

    /// <inheritdoc />
    public IDeviceBackend? FindDevice(string device)
    {
        lock (_lock) return _devices.GetValueOrDefault(device);
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetKnownDevices()
    {
        lock (_lock) return [.. _devices.Values];
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetConnectedDevices()
    {
        lock (_lock) return [.. _devices.Values.Where(d => d.Connected)];
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetDiscoveredDevices()
    {
        lock (_lock) return [.. _devices.Values.Where(d => !d.Connected)];
    }

    /// <summary>Starts the station and waits for the first connection attempt; if it fails, reconnecting goes on in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var firstAttempt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_started) return;
            _started = true;
            _connection = "connecting";
            _running = new CancellationTokenSource();
            var token = _running.Token;
            _supervisor = Task.Run(() => SuperviseAsync(firstAttempt, token), CancellationToken.None);
        }
        _sink?.OnStationEvent(StationEventType.Started);
        await firstAttempt.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_options.AutoDiscover && IsLinkUp) await StartDiscoveryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? running;
        IOpcUaSession? session;
        List<OpcUaDevice> connected;
        lock (_lock)
        {
            if (!_started) return;
            _started = false;
            _connection = "stopped";
            running = _running;
            _running = null;
            session = _session;
            _session = null;
            _subscription = null;
            _watchedNodes.Clear();
            _items.Clear();
            connected = [.. _devices.Values.Where(d => d.Connected || d.RestoreOnReconnect)];
            foreach (var d in _devices.Values)
            {
                d.Connected = false;
                d.RestoreOnReconnect = false;
                d.Watched.Clear();
            }
        }
        if (running is not null) await running.CancelAsync().ConfigureAwait(false);
        try { await _supervisor.ConfigureAwait(false); } catch (OperationCanceledException) { }
        running?.Dispose();
        if (session is not null)
        {
            try { await session.CloseAsync(cancellationToken).ConfigureAwait(false); }
            catch (Exception ex) when (ex is OpcUaException or OperationCanceledException) { LogCloseFailed(ex.Message); }
            await session.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var d in connected) RaiseConnected(d, false);
        _sink?.OnStationEvent(StationEventType.Stopped);
    }

    /// <inheritdoc />
    public async Task ConnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        lock (_lock) if (!_started) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
        if (d.Connected) return;
        var session = RequireLink();
        DataValue nodeClass;
        try
        {
            nodeClass = (await session.ReadAsync([new ReadValueId(d.NodeId, AttributeIds.NodeClass)], 0, TimestampsToReturn.Neither, cancellationToken)
                .ConfigureAwait(false))[0];
        }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"connecting '{device}'"); }
        if (nodeClass.StatusCode.IsBad)
            throw OpcUaErrors.ToIoT(new OpcUaException(nodeClass.StatusCode), $"object {d.NodeId} of '{device}'", ErrorCode.UnknownDevice);
        lock (_lock) d.Connected = true;
        RaiseConnected(d, true);
    }

    /// <inheritdoc />
    public async Task DisconnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        if (!d.Connected && !d.RestoreOnReconnect) return;
        foreach (var variable in d.WatchedVariables())
            await UnwatchCoreAsync(d, variable, cancellationToken, quiet: true).ConfigureAwait(false);
        lock (_lock)
        {
            d.Connected = false;
            d.RestoreOnReconnect = false;
            d.Watched.Clear();
        }
        RaiseConnected(d, false);
    }

    /// <summary>Browses the root folder: each object below it becomes (or stays) a device, its variables its keys.</summary>
    public async Task StartDiscoveryAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_started) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
            if (!_discoveryEnabled) throw new IoTException(ErrorCode.InvalidState, $"discovery is disabled on station '{Id}'");
            if (_discovering) return;
            _discovering = true;
        }
        List<OpcUaDevice> found = [];
        try
        {
            var session = RequireLink();
            _sink?.OnStationEvent(StationEventType.DiscoveryStarted);
            var watch = Stopwatch.StartNew();
            found = await BrowseDevicesAsync(session, cancellationToken).ConfigureAwait(false);
            lock (_lock) _lastDiscoveryMs = Math.Round(watch.Elapsed.TotalMilliseconds, 1);
            LogDiscovered(found.Count, _root.ToString(), watch.Elapsed.TotalMilliseconds);
        }
        catch (OpcUaException ex)
        {
            throw OpcUaErrors.ToIoT(ex, $"browsing root {_root} of station '{Id}'");
        }
        finally
        {
            bool wasDiscovering;
            lock (_lock)
            {
                wasDiscovering = _discovering;
                _discovering = false;
            }
            if (wasDiscovering) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        }
        if (_options.AutoConnect)
            foreach (var d in found) await ConnectAsync(d.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Discovery is one browse that ends by itself; there is nothing to stop.</summary>
    public Task StopDiscoveryAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task EnableDiscoveryAsync(CancellationToken cancellationToken)
    {
        lock (_lock) _discoveryEnabled = true;
        _sink?.OnStationEvent(StationEventType.DiscoveryEnabled);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DisableDiscoveryAsync(CancellationToken cancellationToken)
    {
        lock (_lock) _discoveryEnabled = false;
        _sink?.OnStationEvent(StationEventType.DiscoveryDisabled);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _subscriptionLock.Dispose();
    }

    private bool IsLinkUp
    {
        get { lock (_lock) return _session is { IsConnected: true }; }
    }

    private IOpcUaSession RequireLink()
    {
        lock (_lock)
            return _session is { IsConnected: true } s ? s
                : throw new IoTException(ErrorCode.BackendFailure, $"station '{Id}' has no connection to {_options.Endpoint} now ({_connection})");
    }

    /// <summary>The session for an operation on a connected device.</summary>
    internal IOpcUaSession RequireSession(OpcUaDevice device)
    {
        lock (_lock)
        {
            if (!device.Connected) throw new IoTException(ErrorCode.NotConnected, $"device '{device.Id}' is not connected");
            return _session is { IsConnected: true } s ? s
                : throw new IoTException(ErrorCode.NotConnected, $"device '{device.Id}': the link to {_options.Endpoint} is down ({_connection})");
        }
    }

    private OpcUaDevice RequireKnown(string device) =>
        FindDevice(device) as OpcUaDevice ?? throw new IoTException(ErrorCode.UnknownDevice, $"station '{Id}' knows no device '{device}'");

    private void RaiseConnected(OpcUaDevice d, bool connected, JsonObject? data = null)
    {
        _sink?.OnDeviceEvent(d.Id, connected ? DeviceEventType.Connected : DeviceEventType.Disconnected, data: data?.DeepClone().AsObject());
        _sink?.OnStationEvent(connected ? StationEventType.DeviceConnected : StationEventType.DeviceDisconnected, d.Id, data);
    }
}
