using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>
/// A station on one OPC UA server endpoint, composed of three parts that each own their state and lock: the link
/// (<see cref="OpcUaLink"/>: connect, reconnect with backoff), discovery (<see cref="OpcUaDiscovery"/>: browse the
/// configured root; each object below it is a device, <see cref="OpcUaDevice"/>) and the watched keys
/// (<see cref="OpcUaWatcher"/>: one subscription for all). The station holds the devices and whether it runs, and
/// turns what the parts report into events: devices go DISCONNECTED when the link breaks and come back CONNECTED
/// (the event's data says <c>reconnected</c>) with their watched keys monitored again.
/// Every station request that succeeds emits its event once, also when the station is in that state already.
/// </summary>
public sealed partial class OpcUaStation : IStationBackend
{
    private readonly OpcUaStationOptions _options;
    private readonly ILogger _logger;
    private readonly OpcUaLink _link;
    private readonly OpcUaDiscovery _discovery;
    private readonly OpcUaWatcher _watcher;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, OpcUaDevice> _devices = new(StringComparer.Ordinal);
    private bool _started;
    private volatile IBackendEventSink? _sink;

    /// <summary>Creates the station, stopped. <paramref name="connect"/> opens sessions (this project's client by default).</summary>
    public OpcUaStation(OpcUaStationOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null,
        Func<OpcUaClientOptions, CancellationToken, Task<IOpcUaSession>>? connect = null)
    {
        options.Validate();
        _options = options;
        Time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger<OpcUaStation>();
        connect ??= async (o, ct) => await OpcUaSession.ConnectAsync(o, loggerFactory, Time, ct).ConfigureAwait(false);
        _link = new OpcUaLink(options, _logger, Time, connect)
        {
            LinkUp = OnLinkUpAsync,
            LinkDown = OnLinkDown,
            StateChanged = () => _sink?.OnStationEvent(StationEventType.PropsChanged),
        };
        _discovery = new OpcUaDiscovery(options);
        _watcher = new OpcUaWatcher(options, _logger, () => _sink);
    }

    /// <inheritdoc />
    public string Id => _options.StationId;

    /// <summary>The server endpoint.</summary>
    public string Endpoint => _options.Endpoint;

    /// <summary>How many times the link to the server was re-established.</summary>
    public int Reconnects => _link.Reconnects;

    /// <summary>How long the last discovery's browse (and type read) took.</summary>
    public double? LastDiscoveryMs => _discovery.LastMs;

    internal TimeProvider Time { get; }

    internal IBackendEventSink? Sink => _sink;

    /// <inheritdoc />
    public void SetEventSink(IBackendEventSink? sink) => _sink = sink;

    /// <inheritdoc />
    public StationProps GetProps()
    {
        var attributes = new JsonObject
        {
            ["endpoint"] = _options.Endpoint,
            ["rootNode"] = _options.RootNode,
            ["connection"] = _link.State,
            ["reconnects"] = _link.Reconnects,
            ["identity"] = _options.UserName is null ? "anonymous" : "user",
            ["security"] = _link.Security ?? _options.Security,
        };
        if (_discovery.LastMs is { } ms) attributes["lastDiscoveryMs"] = ms;
        var devices = Devices();
        bool started;
        lock (_lock) started = _started;
        return new StationProps
        {
            Id = Id,
            Backend = "opcua",
            Started = started,
            DiscoveryEnabled = _discovery.Enabled,
            Discovering = _discovery.Running,
            KnownDevices = devices.Count,
            ConnectedDevices = devices.Count(d => d.Connected),
            Attributes = attributes,
        };
    }

    /// <inheritdoc />
    public IDeviceBackend? FindDevice(string device)
    {
        lock (_lock) return _devices.GetValueOrDefault(device);
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetKnownDevices() => Devices();

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetConnectedDevices() => [.. Devices().Where(d => d.Connected)];

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetDiscoveredDevices() => [.. Devices().Where(d => !d.Connected)];

    /// <summary>
    /// Starts the station and waits for the first connection attempt; if it fails, reconnecting goes on in the
    /// background. STARTED is emitted also when the station was started already.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        bool already;
        lock (_lock)
        {
            already = _started;
            _started = true;
        }
        var firstAttempt = already ? Task.CompletedTask : _link.StartAsync();
        _sink?.OnStationEvent(StationEventType.Started);
        if (already) return;
        await firstAttempt.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_options.AutoDiscover && _link.Session is not null) await StartDiscoveryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the station: a running browse stops, the session closes, devices disconnect. STOPPED also when it was stopped.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        bool was;
        lock (_lock)
        {
            was = _started;
            _started = false;
        }
        if (was)
        {
            if (_discovery.Stop()) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
            await _link.StopAsync(cancellationToken).ConfigureAwait(false);
            _watcher.Reset();
            foreach (var d in Devices()) if (d.MarkDisconnected()) RaiseConnected(d, false);
        }
        _sink?.OnStationEvent(StationEventType.Stopped);
    }

    /// <inheritdoc />
    public async Task ConnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        RequireStarted();
        if (d.Connected)
        {
            // The station request rule (topics.md, "Station requests"): a CONNECT that succeeds emits DEVICE_CONNECTED,
            // also for a device connected already; the device itself did not change, so it emits nothing.
            _sink?.OnStationEvent(StationEventType.DeviceConnected, d.Id);
            return;
        }
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
        if (d.MarkConnected()) RaiseConnected(d, true);
    }

    /// <inheritdoc />
    public async Task DisconnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        foreach (var variable in d.WatchedVariables())
            await _watcher.UnwatchAsync(d, variable, quiet: true, cancellationToken).ConfigureAwait(false);
        if (d.MarkDisconnected()) RaiseConnected(d, false);
        else _sink?.OnStationEvent(StationEventType.DeviceDisconnected, d.Id); // already disconnected: the rule's one event
    }

    /// <summary>
    /// Browses the root folder: each object below it becomes (or stays) a device, its variables its keys. The
    /// browse runs inside the request; DISCOVERY_STARTED is emitted also when a browse is running already, and
    /// DISCOVERY_STOPPED when it ends, unless STOP_DISCOVERY or DISABLE_DISCOVERY stopped it first (they emit it).
    /// </summary>
    public async Task StartDiscoveryAsync(CancellationToken cancellationToken)
    {
        RequireStarted();
        if (!_discovery.Enabled) throw new IoTException(ErrorCode.InvalidState, $"discovery is disabled on station '{Id}'");
        var session = RequireLink();
        List<DiscoveredObject>? found;
        bool endedByItself;
        try
        {
            (found, endedByItself) = await _discovery.RunAsync(session,
                started: () => _sink?.OnStationEvent(StationEventType.DiscoveryStarted),
                failed: () => _sink?.OnStationEvent(StationEventType.DiscoveryStopped), cancellationToken).ConfigureAwait(false);
        }
        catch (OpcUaException ex)
        {
            throw OpcUaErrors.ToIoT(ex, $"browsing root {_discovery.Root} of station '{Id}'");
        }
        if (found is null)
        {
            // A browse is running already: this request's event, and the running browse's end says the rest.
            _sink?.OnStationEvent(StationEventType.DiscoveryStarted);
            return;
        }
        var devices = Register(found);
        LogDiscovered(found.Count, _discovery.Root.ToString(), _discovery.LastMs ?? 0);
        if (endedByItself) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        if (_options.AutoConnect)
            foreach (var d in devices) await ConnectAsync(d.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops a running browse; DISCOVERY_STOPPED either way.</summary>
    public Task StopDiscoveryAsync(CancellationToken cancellationToken)
    {
        _discovery.Stop();
        _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task EnableDiscoveryAsync(CancellationToken cancellationToken)
    {
        _discovery.Enable();
        _sink?.OnStationEvent(StationEventType.DiscoveryEnabled);
        return Task.CompletedTask;
    }

    /// <summary>Disables discovery; a running browse is stopped (DISCOVERY_STOPPED) before DISCOVERY_DISABLED.</summary>
    public Task DisableDiscoveryAsync(CancellationToken cancellationToken)
    {
        if (_discovery.Disable()) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        _sink?.OnStationEvent(StationEventType.DiscoveryDisabled);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        bool started;
        lock (_lock) started = _started;
        if (started) await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _watcher.Dispose();
    }

    internal async Task WatchAsync(OpcUaDevice device, OpcUaVariable variable, CancellationToken cancellationToken)
    {
        await _watcher.WatchAsync(RequireSession(device), device, variable, cancellationToken).ConfigureAwait(false);
        device.MarkWatched(variable.Key);
        _sink?.OnDeviceEvent(device.Id, DeviceEventType.NotifyStarted, variable.Key);
    }

    internal async Task UnwatchAsync(OpcUaDevice device, OpcUaVariable variable, CancellationToken cancellationToken)
    {
        RequireSession(device);
        await _watcher.UnwatchAsync(device, variable, quiet: false, cancellationToken).ConfigureAwait(false);
        if (device.UnmarkWatched(variable.Key)) _sink?.OnDeviceEvent(device.Id, DeviceEventType.NotifyStopped, variable.Key);
    }

    /// <summary>The session for an operation on a connected device.</summary>
    internal IOpcUaSession RequireSession(OpcUaDevice device)
    {
        if (!device.Connected) throw new IoTException(ErrorCode.NotConnected, $"device '{device.Id}' is not connected");
        return _link.Session ?? throw new IoTException(ErrorCode.NotConnected, $"device '{device.Id}': the link to {_options.Endpoint} is down ({_link.State})");
    }

    private List<OpcUaDevice> Devices()
    {
        lock (_lock) return [.. _devices.Values];
    }

    private void RequireStarted()
    {
        lock (_lock) if (!_started) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
    }

    private IOpcUaSession RequireLink() =>
        _link.Session ?? throw new IoTException(ErrorCode.BackendFailure, $"station '{Id}' has no connection to {_options.Endpoint} now ({_link.State})");

    private OpcUaDevice RequireKnown(string device) =>
        FindDevice(device) as OpcUaDevice ?? throw new IoTException(ErrorCode.UnknownDevice, $"station '{Id}' knows no device '{device}'");

    /// <summary>Each object found becomes a device, or updates the one it is; DEVICE_DISCOVERED for the new ones.</summary>
    private List<OpcUaDevice> Register(List<DiscoveredObject> found)
    {
        var devices = new List<OpcUaDevice>(found.Count);
        var added = new List<OpcUaDevice>();
        lock (_lock)
        {
            foreach (var o in found)
            {
                var id = _options.DevicePrefix + o.NodeId;
                if (_devices.TryGetValue(id, out var known)) known.Update(o.Keys, o.Methods);
                else
                {
                    known = new OpcUaDevice(this, id, o.NodeId, o.BrowseName, o.DisplayName, o.Keys, o.Methods);
                    _devices[id] = known;
                    added.Add(known);
                }
                devices.Add(known);
            }
        }
        foreach (var d in added)
            _sink?.OnStationEvent(StationEventType.DeviceDiscovered, d.Id,
                new JsonObject { ["nodeId"] = d.NodeId.ToString(), ["browseName"] = d.BrowseName, ["keys"] = d.GetKeys().Count });
        foreach (var d in devices.Except(added)) _sink?.OnDeviceEvent(d.Id, DeviceEventType.PropsChanged);
        return devices;
    }

    /// <summary>
    /// A new session is published: brings back the devices the loss took (their CONNECTED event comes first, so no
    /// NOTIFIED of theirs precedes it), then watches again what they watched. A key that could not be watched again
    /// gets NOTIFY_STOPPED with the reason; a broken link throws.
    /// </summary>
    private async Task<int> OnLinkUpAsync(IOpcUaSession session, bool reconnected, CancellationToken cancellationToken)
    {
        _watcher.Reset();
        var restore = new List<OpcUaDevice>();
        foreach (var d in Devices())
        {
            if (d.MarkRestored() is not { } keys) continue;
            restore.Add(d);
            RaiseConnected(d, true, new JsonObject { ["reconnected"] = true, ["watchedKeys"] = new JsonArray([.. keys.Select(k => (JsonNode)JsonValue.Create(k))]) });
        }
        var watches = restore.SelectMany(d => d.WatchedVariables().Select(v => (d, v))).ToList();
        _watcher.BatchSize = await MonitoredItemBatchAsync(session, cancellationToken).ConfigureAwait(false);
        var (restored, failed) = await _watcher.RestoreAsync(session, watches, _watcher.BatchSize, cancellationToken).ConfigureAwait(false);
        foreach (var (d, v, why) in failed)
        {
            LogRestoreItemFailed(d.Id, v.Key, why);
            d.UnmarkWatched(v.Key);
            _sink?.OnDeviceEvent(d.Id, DeviceEventType.NotifyStopped, v.Key, new JsonObject { ["reason"] = why });
        }
        _sink?.OnStationEvent(StationEventType.PropsChanged);
        return restored;
    }

    private const int DefaultMonitoredItemBatch = 1000;

    /// <summary>
    /// How many monitored items one CreateMonitoredItems may carry: the server's MaxMonitoredItemsPerCall
    /// (ServerCapabilities.OperationLimits), or 1,000 when it sets none (0) or does not say.
    /// </summary>
    private async Task<int> MonitoredItemBatchAsync(IOpcUaSession session, CancellationToken cancellationToken)
    {
        try
        {
            var limit = (await session.ReadAsync([new ReadValueId(WellKnownNodes.MaxMonitoredItemsPerCall)], 0, TimestampsToReturn.Neither, cancellationToken)
                .ConfigureAwait(false))[0];
            if (limit.StatusCode.IsGood && limit.Value.Value is uint max and > 0) return (int)Math.Min(max, DefaultMonitoredItemBatch);
        }
        catch (OpcUaException ex) when (session.IsConnected) { LogLimitsUnread(ex.Message); }
        return DefaultMonitoredItemBatch;
    }

    /// <summary>Every connected device goes DISCONNECTED, remembering that it should come back with its watched keys.</summary>
    private void OnLinkDown(OpcUaException reason)
    {
        _watcher.Reset();
        var dropped = Devices().Where(d => d.MarkLinkLost()).ToList();
        LogLinkLost(_options.Endpoint, reason.Message, dropped.Count);
        foreach (var d in dropped) RaiseConnected(d, false, new JsonObject { ["reason"] = reason.Message });
        _sink?.OnStationEvent(StationEventType.PropsChanged);
    }

    private void RaiseConnected(OpcUaDevice d, bool connected, JsonObject? data = null)
    {
        _sink?.OnDeviceEvent(d.Id, connected ? DeviceEventType.Connected : DeviceEventType.Disconnected, data: data?.DeepClone().AsObject());
        _sink?.OnStationEvent(connected ? StationEventType.DeviceConnected : StationEventType.DeviceDisconnected, d.Id, data);
    }

    [LoggerMessage(EventId = 2410, Level = LogLevel.Debug, Message = "The server's MaxMonitoredItemsPerCall could not be read ({Error}); batches of 1000")]
    private partial void LogLimitsUnread(string error);

    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning, Message = "OPC UA station lost {Endpoint}: {Reason}; {Devices} devices disconnected until it is back")]
    private partial void LogLinkLost(string endpoint, string reason, int devices);

    [LoggerMessage(EventId = 2405, Level = LogLevel.Warning, Message = "Could not watch '{Key}' of '{Device}' again after a reconnect: {Status}")]
    private partial void LogRestoreItemFailed(string device, string key, string status);

    [LoggerMessage(EventId = 2407, Level = LogLevel.Information, Message = "Discovery found {Count} objects under {Root} in {Ms} ms")]
    private partial void LogDiscovered(int count, string root, double ms);
}
