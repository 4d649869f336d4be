using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// A station that is one BlueZ adapter, driven over D-Bus. It mirrors BlueZ's object tree (ObjectManager
/// InterfacesAdded / InterfacesRemoved) and the properties of the adapter and its devices (PropertiesChanged);
/// devices that match the discovery filter become known and are reported with DEVICE_DISCOVERED.
/// The station owns the started state and the order of START and STOP; its parts own the rest: the bus and adapter
/// (<see cref="BleBus"/>), the object tree (<see cref="BleObjectTree"/>), discovery (<see cref="BleDiscovery"/>),
/// the BlueZ call policy (<see cref="BlueZCalls"/>) and the background work (<see cref="BleBackgroundWork"/>).
/// </summary>
public sealed partial class BleStation : IStationBackend, IBleTreeListener
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly BleBackgroundWork _background;
    private readonly BleBus _bus;
    private readonly BleObjectTree _tree;
    private readonly BleDiscovery _discovery;
    private bool _started;
    // Between STOP's power-off and its end: the adapter's Powered=false is ours, not someone else's.
    private bool _stopping;
    private volatile IBackendEventSink? _sink;

    /// <summary>Creates the station; nothing touches D-Bus until <see cref="StartAsync"/>.</summary>
    public BleStation(BleStationOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        options.Validate();
        Options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<BleStation>();
        Time = timeProvider ?? TimeProvider.System;
        Calls = new BlueZCalls(options, Time, _logger);
        _background = new BleBackgroundWork(_logger);
        _bus = new BleBus(options, Calls, Time, _logger);
        _tree = new BleObjectTree(options, Calls, _background,
            (path, props) => new BleDevice(this, path, props, _bus.Connection.CreateProxy<IDevice1>(BlueZNames.Service, path), _loggerFactory.CreateLogger<BleDevice>()),
            () => _bus.Connection, _logger) { Listener = this };
        _discovery = new BleDiscovery(options, Calls, _logger);
    }

    /// <inheritdoc />
    public string Id => Options.EffectiveStationId;

    internal BleStationOptions Options { get; }

    internal TimeProvider Time { get; }

    internal BlueZCalls Calls { get; }

    internal IBackendEventSink? Sink => _sink;

    internal bool IsStarted
    {
        get { lock (_lock) return _started; }
    }

    /// <inheritdoc />
    public void SetEventSink(IBackendEventSink? sink) => _sink = sink;

    /// <inheritdoc />
    public StationProps GetProps()
    {
        var attributes = new JsonObject
        {
            ["adapter"] = Options.AdapterName,
            ["adapterPath"] = Options.AdapterPath,
            ["powered"] = _bus.Powered,
            ["transport"] = Options.Filter.Transport,
        };
        if (_bus.Address is { } address) attributes["address"] = address;
        if (Options.Filter.ServiceUuids.Count > 0) attributes["serviceUuids"] = new JsonArray([.. Options.Filter.ServiceUuids.Select(u => (JsonNode?)u)]);
        if (Options.Filter.RssiThreshold is { } rssi) attributes["rssiThreshold"] = rssi;
        if (Options.Filter.NamePattern is { } pattern) attributes["namePattern"] = pattern;
        var known = _discovery.Known();
        return new StationProps
        {
            Id = Id, Backend = "ble", Started = IsStarted, DiscoveryEnabled = _discovery.Enabled, Discovering = _discovery.Discovering,
            KnownDevices = known.Length, ConnectedDevices = known.Count(d => d.IsReady), Attributes = attributes,
        };
    }

    /// <inheritdoc />
    public IDeviceBackend? FindDevice(string device) => _discovery.Find(device);

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetKnownDevices() => _discovery.Known();

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetConnectedDevices() => [.. _discovery.Known().Where(d => d.IsReady)];

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetDiscoveredDevices() => [.. _discovery.Known().Where(d => !d.IsReady)];

    // Every station request that succeeds emits its event once, also when the station is in that state already
    // (topics.md, "Station requests"); what a request changes on the way (a scan it stops) emits its own events.

    /// <summary>Connects to the bus (first time), powers the adapter on and waits until it says so.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsStarted)
            {
                _sink?.OnStationEvent(StationEventType.Started);
                return;
            }
            var adapter = await _bus.EnsureAsync(_tree, OnAdapterChanged, cancellationToken).ConfigureAwait(false);
            await _bus.PowerOnAsync(adapter, cancellationToken).ConfigureAwait(false);
            lock (_lock) _started = true;
            LogStarted(Id, Options.AdapterPath);
            _sink?.OnStationEvent(StationEventType.Started);
            // Devices already connected (by an earlier run, or another client) are held from the start.
            Reevaluate();
        }
        finally { _lifecycle.Release(); }
    }

    /// <summary>Stops discovery, disconnects the devices and powers the adapter off (unless configured not to).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_lock) _stopping = _started;
            if (!_stopping)
            {
                _sink?.OnStationEvent(StationEventType.Stopped);
                return;
            }
            try
            {
                await StopScanAsync(cancellationToken).ConfigureAwait(false);
                foreach (var device in _tree.Devices().Where(d => d.IsLinkUp || d.IsReady))
                    await device.DisconnectAsync(cancellationToken).ConfigureAwait(false);
                if (Options.PowerOffOnStop) await _bus.PowerOffAsync(cancellationToken).ConfigureAwait(false);
                MarkStopped();
            }
            finally
            {
                lock (_lock) _stopping = false;
            }
        }
        finally { _lifecycle.Release(); }
    }

    /// <inheritdoc />
    public async Task ConnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        lock (_lock) if (!_started) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
        // A device that becomes ready reports DEVICE_CONNECTED itself; one that was ready already gets it from here.
        bool wasReady = d.IsReady;
        await d.ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (wasReady) _sink?.OnStationEvent(StationEventType.DeviceConnected, d.Id);
    }

    /// <inheritdoc />
    public async Task DisconnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        // Likewise: a ready device that goes down reports DEVICE_DISCONNECTED itself.
        bool wasReady = d.IsReady;
        await d.DisconnectAsync(cancellationToken).ConfigureAwait(false);
        if (!wasReady) _sink?.OnStationEvent(StationEventType.DeviceDisconnected, d.Id);
    }

    /// <summary>Sets the discovery filter and starts a discovery session of this client.</summary>
    public async Task StartDiscoveryAsync(CancellationToken cancellationToken)
    {
        IAdapter1 adapter;
        lock (_lock)
        {
            if (!_started || _bus.Adapter is null) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
            adapter = _bus.Adapter;
        }
        bool started = await _discovery.StartAsync(adapter, Id, cancellationToken).ConfigureAwait(false);
        _sink?.OnStationEvent(StationEventType.DiscoveryStarted);
        if (started) Reevaluate();
    }

    /// <summary>Ends this client's discovery session (BlueZ scans on while other clients have one).</summary>
    public async Task StopDiscoveryAsync(CancellationToken cancellationToken)
    {
        if (!await StopScanAsync(cancellationToken).ConfigureAwait(false)) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
    }

    /// <inheritdoc />
    public Task EnableDiscoveryAsync(CancellationToken cancellationToken)
    {
        _discovery.SetEnabled(true);
        _sink?.OnStationEvent(StationEventType.DiscoveryEnabled);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task DisableDiscoveryAsync(CancellationToken cancellationToken)
    {
        _discovery.SetEnabled(false);
        await StopScanAsync(cancellationToken).ConfigureAwait(false);
        _sink?.OnStationEvent(StationEventType.DiscoveryDisabled);
    }

    /// <summary>Ends background work, disconnects the devices this station holds, and leaves the bus.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_background.IsStopping) return;
        await _background.CancelAsync().ConfigureAwait(false);
        foreach (var device in _tree.Devices()) device.CancelReconnect();
        using (var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5), Time))
        {
            try
            {
                await StopScanAsync(bounded.Token).ConfigureAwait(false);
                foreach (var device in _tree.Devices().Where(d => d.IsReady))
                    await device.DisconnectAsync(bounded.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IoTException or OperationCanceledException) { LogDisposeDisconnectFailed(e.Message); }
        }
        await _background.DrainAsync().ConfigureAwait(false);
        foreach (var device in _tree.Devices()) device.DisposeWatches();
        _bus.Dispose();
        _background.Dispose();
    }

    /// <summary>The background work running now, by what it does (for tests).</summary>
    internal IReadOnlyCollection<string> RunningBackgroundWork => _background.Running;

    /// <summary>Runs background work that dispose waits for, logging its failure instead of losing it.</summary>
    internal void Track(string what, Func<CancellationToken, Task> work) => _background.Run(what, work);

    internal void OnLinkLost(BleDevice device)
    {
        if (IsStarted && Options.AutoReconnect && Options.ReconnectAttempts > 0)
            Track($"reconnect '{device.Id}'", ct => device.ReconnectAsync(ct));
    }

    internal BleDeviceModel? ModelOf(BleDevice device)
    {
        if (Options.Models.Count == 0) return null;
        var name = device.Name;
        var ids = device.ManufacturerIds();
        return Options.Models.FirstOrDefault(m => m.Matches(name, ids));
    }

    /// <summary>The characteristics BlueZ exports under a device path, with their service's UUID.</summary>
    internal List<BleCharacteristic> CharacteristicsOf(string devicePath) => _tree.CharacteristicsOf(devicePath);

    void IBleTreeListener.OnDeviceSeen(BleDevice device, IReadOnlyCollection<string> changed) => Evaluate(device, changed);

    void IBleTreeListener.OnDeviceGone(BleDevice device)
    {
        bool wasKnown = _discovery.Forget(device);
        device.CancelReconnect();
        device.DisposeWatches();
        if (wasKnown)
        {
            LogDeviceGone(device.Id);
            _sink?.OnDeviceRemoved(device.Id);
            _sink?.OnStationEvent(StationEventType.PropsChanged);
        }
    }

    void IBleTreeListener.OnAdapterGone()
    {
        LogAdapterGone(Options.AdapterPath);
        MarkStopped();
    }

    /// <summary>Ends a running scan, with its DISCOVERY_STOPPED; false when none was running.</summary>
    private async Task<bool> StopScanAsync(CancellationToken cancellationToken)
    {
        if (!await _discovery.StopAsync(_bus.Adapter, Id, cancellationToken).ConfigureAwait(false)) return false;
        _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        return true;
    }

    private void OnAdapterChanged(PropertyChanges changes, AdapterChange change)
    {
        bool poweredOff;
        lock (_lock) poweredOff = change.PoweredOff && _started && !_stopping;
        // Our session ended without us (adapter reset, powered off): the scan is over.
        if (change.DiscoveringOff && _discovery.Ended()) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        if (poweredOff)
        {
            LogPoweredOff(Options.AdapterPath);
            MarkStopped();
        }
        else _sink?.OnStationEvent(StationEventType.PropsChanged);
    }

    private void MarkStopped()
    {
        bool wasStarted;
        lock (_lock)
        {
            wasStarted = _started;
            _started = false;
        }
        bool wasDiscovering = _discovery.Ended();
        foreach (var device in _tree.Devices()) device.CancelReconnect();
        if (wasDiscovering) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        if (wasStarted)
        {
            LogStopped(Id);
            _sink?.OnStationEvent(StationEventType.Stopped);
        }
    }

    /// <summary>Reports a device once it matches the filter while discovering (or is connected); refreshes known ones.</summary>
    private void Evaluate(BleDevice device, IReadOnlyCollection<string> changed)
    {
        switch (_discovery.Evaluate(device, changed, IsStarted, _tree.Contains))
        {
            case BleDiscovery.Outcome.Discovered:
                _sink?.OnStationEvent(StationEventType.DeviceDiscovered, device.Id, device.Advertisement());
                break;
            case BleDiscovery.Outcome.Refreshed:
                _sink?.OnDeviceEvent(device.Id, DeviceEventType.PropsChanged);
                break;
        }
    }

    private void Reevaluate()
    {
        foreach (var device in _tree.Devices()) Evaluate(device, []);
    }

    private BleDevice RequireKnown(string device) =>
        _discovery.Find(device) ?? throw new IoTException(ErrorCode.UnknownDevice, $"station '{Id}' knows no device '{device}'");

    [LoggerMessage(EventId = 2310, Level = LogLevel.Information, Message = "BLE station '{Station}' started: {Adapter} powered")]
    private partial void LogStarted(string station, string adapter);

    [LoggerMessage(EventId = 2311, Level = LogLevel.Information, Message = "BLE station '{Station}' stopped")]
    private partial void LogStopped(string station);

    [LoggerMessage(EventId = 2314, Level = LogLevel.Information, Message = "BLE device '{Device}' is gone from BlueZ")]
    private partial void LogDeviceGone(string device);

    [LoggerMessage(EventId = 2315, Level = LogLevel.Warning, Message = "Adapter {Adapter} was powered off from outside: station stopped")]
    private partial void LogPoweredOff(string adapter);

    [LoggerMessage(EventId = 2316, Level = LogLevel.Warning, Message = "Adapter {Adapter} is gone from BlueZ: station stopped")]
    private partial void LogAdapterGone(string adapter);

    [LoggerMessage(EventId = 2323, Level = LogLevel.Warning, Message = "Could not disconnect every device while shutting down: {Error}")]
    private partial void LogDisposeDisconnectFailed(string error);
}
