using System.Collections.Concurrent;
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
/// </summary>
public sealed partial class BleStation : IStationBackend
{
    private static readonly HashSet<string> AdvertisedProps = ["RSSI", "Name", "Alias", "ManufacturerData", "ServiceData", "UUIDs", "Paired"];

    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private readonly Dictionary<string, BleDevice> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BleDevice> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GattObject> _gatt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, string> _background = new();
    private readonly List<IDisposable> _watches = [];
    private Connection? _connection;
    private IObjectManager? _objectManager;
    private IAdapter1? _adapter;
    private IDictionary<string, object> _adapterProps = new Dictionary<string, object>(StringComparer.Ordinal);
    private TaskCompletionSource<bool>? _poweredWaiter;
    private bool _started;
    private bool _discoveryEnabled = true;
    private bool _discovering;
    private volatile IBackendEventSink? _sink;

    /// <summary>Creates the station; nothing touches D-Bus until <see cref="StartAsync"/>.</summary>
    public BleStation(BleStationOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        options.Validate();
        Options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<BleStation>();
        Time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Id => Options.EffectiveStationId;

    internal BleStationOptions Options { get; }

    internal TimeProvider Time { get; }

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
        lock (_lock)
        {
            var attributes = new JsonObject
            {
                ["adapter"] = Options.AdapterName,
                ["adapterPath"] = Options.AdapterPath,
                ["powered"] = BlueZValues.Bool(_adapterProps, "Powered"),
                ["transport"] = Options.Filter.Transport,
            };
            if (BlueZValues.String(_adapterProps, "Address") is { } address) attributes["address"] = address;
            if (Options.Filter.ServiceUuids.Count > 0) attributes["serviceUuids"] = new JsonArray([.. Options.Filter.ServiceUuids.Select(u => (JsonNode?)u)]);
            if (Options.Filter.RssiThreshold is { } rssi) attributes["rssiThreshold"] = rssi;
            if (Options.Filter.NamePattern is { } pattern) attributes["namePattern"] = pattern;
            return new StationProps
            {
                Id = Id, Backend = "ble", Started = _started, DiscoveryEnabled = _discoveryEnabled, Discovering = _discovering,
                KnownDevices = _known.Count, ConnectedDevices = _known.Values.Count(d => d.IsReady), Attributes = attributes,
            };
        }
    }

    /// <inheritdoc />
    public IDeviceBackend? FindDevice(string device)
    {
        lock (_lock) return _known.GetValueOrDefault(device);
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetKnownDevices()
    {
        lock (_lock) return [.. _known.Values];
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetConnectedDevices()
    {
        lock (_lock) return [.. _known.Values.Where(d => d.IsReady)];
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetDiscoveredDevices()
    {
        lock (_lock) return [.. _known.Values.Where(d => !d.IsReady)];
    }

    /// <summary>Connects to the bus (first time), powers the adapter on and waits until it says so.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_lock) if (_started) return;
            var adapter = await EnsureBusAsync(cancellationToken).ConfigureAwait(false);
            TaskCompletionSource<bool> powered;
            lock (_lock)
            {
                powered = _poweredWaiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (BlueZValues.Bool(_adapterProps, "Powered")) powered.TrySetResult(true);
            }
            if (!powered.Task.IsCompleted)
                await CallAsync($"power on {Options.AdapterPath}", () => adapter.SetAsync("Powered", true), cancellationToken).ConfigureAwait(false);
            try { await powered.Task.WaitAsync(Options.PowerTimeout, Time, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException)
            {
                throw new IoTException(ErrorCode.BackendFailure, $"adapter {Options.AdapterPath} did not power on within {Options.PowerTimeout.TotalSeconds:0.#} s (rfkill?)");
            }
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
            lock (_lock) if (!_started) return;
            await StopDiscoveryAsync(cancellationToken).ConfigureAwait(false);
            foreach (var device in AllDevices().Where(d => d.IsLinkUp || d.IsReady))
                await device.DisconnectAsync(cancellationToken).ConfigureAwait(false);
            if (Options.PowerOffOnStop && _adapter is { } adapter)
                await CallAsync($"power off {Options.AdapterPath}", () => adapter.SetAsync("Powered", false), cancellationToken).ConfigureAwait(false);
            MarkStopped();
        }
        finally { _lifecycle.Release(); }
    }

    /// <inheritdoc />
    public Task ConnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        lock (_lock) if (!_started) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
        return d.ConnectAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task DisconnectAsync(string device, CancellationToken cancellationToken) => RequireKnown(device).DisconnectAsync(cancellationToken);

    /// <summary>Sets the discovery filter and starts a discovery session of this client.</summary>
    public async Task StartDiscoveryAsync(CancellationToken cancellationToken)
    {
        IAdapter1 adapter;
        lock (_lock)
        {
            if (!_started || _adapter is null) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
            if (!_discoveryEnabled) throw new IoTException(ErrorCode.InvalidState, $"discovery is disabled on station '{Id}'");
            if (_discovering) return;
            adapter = _adapter;
        }
        await CallAsync("set the discovery filter", () => adapter.SetDiscoveryFilterAsync(Options.Filter.ToBlueZ()), cancellationToken).ConfigureAwait(false);
        try
        {
            await CallAsync("start discovery", () => adapter.StartDiscoveryAsync(), cancellationToken).ConfigureAwait(false);
        }
        catch (IoTException e) when (e.Code == ErrorCode.Busy)
        {
            // InProgress after the retries: this client's session is already running (a lost reply), which is what was asked.
        }
        lock (_lock) _discovering = true;
        LogDiscovery(Id, "started");
        _sink?.OnStationEvent(StationEventType.DiscoveryStarted);
        Reevaluate();
    }

    /// <summary>Ends this client's discovery session (BlueZ scans on while other clients have one).</summary>
    public async Task StopDiscoveryAsync(CancellationToken cancellationToken)
    {
        IAdapter1? adapter;
        lock (_lock)
        {
            if (!_discovering) return;
            _discovering = false;
            adapter = _adapter;
        }
        try
        {
            if (adapter is not null) await CallAsync("stop discovery", () => adapter.StopDiscoveryAsync(), cancellationToken).ConfigureAwait(false);
        }
        catch (IoTException e) when (e.Code is ErrorCode.BackendFailure or ErrorCode.InvalidState)
        {
            // "No discovery started" or adapter not ready: there is no session left to end.
            LogDiscoveryStopIgnored(e.Message);
        }
        LogDiscovery(Id, "stopped");
        _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
    }

    /// <inheritdoc />
    public Task EnableDiscoveryAsync(CancellationToken cancellationToken)
    {
        lock (_lock) _discoveryEnabled = true;
        _sink?.OnStationEvent(StationEventType.DiscoveryEnabled);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task DisableDiscoveryAsync(CancellationToken cancellationToken)
    {
        lock (_lock) _discoveryEnabled = false;
        await StopDiscoveryAsync(cancellationToken).ConfigureAwait(false);
        _sink?.OnStationEvent(StationEventType.DiscoveryDisabled);
    }

    /// <summary>Ends background work, disconnects the devices this station holds, and leaves the bus.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested) return;
        await _disposing.CancelAsync().ConfigureAwait(false);
        foreach (var device in AllDevices()) device.CancelReconnect();
        using (var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5), Time))
        {
            try
            {
                await StopDiscoveryAsync(bounded.Token).ConfigureAwait(false);
                foreach (var device in AllDevices().Where(d => d.IsReady))
                    await device.DisconnectAsync(bounded.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IoTException or OperationCanceledException) { LogDisposeDisconnectFailed(e.Message); }
        }
        foreach (var (task, _) in _background)
        {
            try { await task.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        foreach (var device in AllDevices()) device.DisposeWatches();
        lock (_lock) foreach (var watch in _watches) watch.Dispose();
        _connection?.Dispose();
        _disposing.Dispose();
    }

    /// <summary>Runs a BlueZ call: InProgress is retried with growing pauses, then becomes BUSY; other errors get their wire code.</summary>
    internal async Task<T> CallAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var delay = Options.RetryDelay;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                // A D-Bus call cannot be cancelled; on cancellation we stop waiting and BlueZ finishes it alone.
                return await call().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DBusException e) when (BlueZErrors.IsInProgress(e) && attempt < Options.InProgressRetries)
            {
                LogInProgressRetry(what, attempt + 1);
                await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (DBusException e)
            {
                throw BlueZErrors.ToIoT(e, what);
            }
            catch (Exception e) when (e is DisconnectedException or ConnectException or ObjectDisposedException)
            {
                throw new IoTException(ErrorCode.BackendFailure, $"{what}: the D-Bus connection is gone ({e.Message})", e);
            }
        }
    }

    internal Task CallAsync(string what, Func<Task> call, CancellationToken cancellationToken) =>
        CallAsync(what, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Runs background work that dispose waits for, logging its failure instead of losing it.</summary>
    internal void Track(string what, Func<CancellationToken, Task> work)
    {
        if (_disposing.IsCancellationRequested) return;
        var token = _disposing.Token;
        var task = Task.Run(async () =>
        {
            try { await work(token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { }
            catch (Exception e) { LogBackgroundFailed(e, what); }
        }, CancellationToken.None);
        _background[task] = what;
        _ = task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    internal void OnLinkLost(BleDevice device)
    {
        bool started;
        lock (_lock) started = _started;
        if (started && Options.AutoReconnect && Options.ReconnectAttempts > 0)
            Track($"reconnect '{device.Id}'", ct => device.ReconnectAsync(Options, Time, ct));
    }

    internal BleDeviceModel? ModelOf(BleDevice device)
    {
        if (Options.Models.Count == 0) return null;
        var name = device.Name;
        var ids = device.ManufacturerIds();
        return Options.Models.FirstOrDefault(m => m.Matches(name, ids));
    }

    /// <summary>The characteristics BlueZ exports under a device path, with their service's UUID.</summary>
    internal List<BleCharacteristic> CharacteristicsOf(string devicePath)
    {
        var prefix = devicePath + "/";
        var connection = _connection ?? throw new InvalidOperationException("not on the bus");
        lock (_lock)
        {
            return [.. _gatt.Where(g => g.Key.StartsWith(prefix, StringComparison.Ordinal) && g.Value.Interface == BlueZNames.GattCharacteristic)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new BleCharacteristic(g.Key, g.Value.Uuid,
                    g.Value.Service is { } s && _gatt.TryGetValue(s, out var service) ? service.Uuid : "",
                    g.Value.Flags, connection.CreateProxy<IGattCharacteristic1>(BlueZNames.Service, g.Key)))];
        }
    }

    private async Task<IAdapter1> EnsureBusAsync(CancellationToken cancellationToken)
    {
        if (_adapter is { } existing) return existing;
        var address = Options.DBusAddress ?? Address.System
            ?? throw new IoTException(ErrorCode.BackendFailure, "no system bus address (set DBUS_SYSTEM_BUS_ADDRESS or --dbus-address)");
        var connection = new Connection(new ClientConnectionOptions(address) { AutoConnect = false, RunContinuationsAsynchronously = true });
        try
        {
            try { await connection.ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false); }
            catch (ConnectException e) { throw new IoTException(ErrorCode.BackendFailure, $"cannot reach D-Bus at '{address}': {e.Message}", e); }
            connection.StateChanged += (_, e) =>
            {
                if (e.State == ConnectionState.Disconnected) LogBusLost(address, e.DisconnectReason?.Message ?? "closed");
            };
            var objectManager = connection.CreateProxy<IObjectManager>(BlueZNames.Service, ObjectPath.Root);
            var adapter = connection.CreateProxy<IAdapter1>(BlueZNames.Service, Options.AdapterPath);
            _connection = connection;
            // Subscribe before reading the tree, so nothing falls between the snapshot and the signals.
            var added = await CallAsync("watch InterfacesAdded", () => objectManager.WatchInterfacesAddedAsync(e => OnInterfacesAdded(e.path, e.interfaces), OnWatchError), cancellationToken).ConfigureAwait(false);
            var removed = await CallAsync("watch InterfacesRemoved", () => objectManager.WatchInterfacesRemovedAsync(e => OnInterfacesRemoved(e.path, e.interfaces), OnWatchError), cancellationToken).ConfigureAwait(false);
            var adapterWatch = await CallAsync("watch the adapter", () => adapter.WatchPropertiesAsync(OnAdapterChanged), cancellationToken).ConfigureAwait(false);
            lock (_lock) _watches.AddRange([added, removed, adapterWatch]);
            var objects = await CallAsync($"list BlueZ's objects on '{address}'", () => objectManager.GetManagedObjectsAsync(), cancellationToken).ConfigureAwait(false);
            if (!objects.TryGetValue(new ObjectPath(Options.AdapterPath), out var adapterObject) || !adapterObject.TryGetValue(BlueZNames.Adapter, out var adapterProps))
            {
                var adapters = objects.Where(o => o.Value.ContainsKey(BlueZNames.Adapter)).Select(o => o.Key.ToString());
                throw new IoTException(ErrorCode.BackendFailure, $"BlueZ has no adapter {Options.AdapterPath} (it has: {string.Join(", ", adapters.DefaultIfEmpty("none"))})");
            }
            lock (_lock) _adapterProps = new Dictionary<string, object>(adapterProps, StringComparer.Ordinal);
            foreach (var (path, interfaces) in objects.OrderBy(o => o.Key.ToString(), StringComparer.Ordinal))
                OnInterfacesAdded(path, interfaces);
            _objectManager = objectManager;
            _adapter = adapter;
            LogOnBus(address, Options.AdapterPath, BlueZValues.String(adapterProps, "Address") ?? "?");
            return adapter;
        }
        catch
        {
            lock (_lock)
            {
                foreach (var watch in _watches) watch.Dispose();
                _watches.Clear();
            }
            _connection = null;
            connection.Dispose();
            throw;
        }
    }

    private void OnInterfacesAdded(ObjectPath objectPath, IDictionary<string, IDictionary<string, object>> interfaces)
    {
        var path = objectPath.ToString();
        if (!path.StartsWith(Options.AdapterPath + "/", StringComparison.Ordinal)) return;
        if (interfaces.TryGetValue(BlueZNames.GattCharacteristic, out var characteristic))
        {
            lock (_lock) _gatt[path] = new GattObject(BlueZNames.GattCharacteristic, Uuid(characteristic),
                ObjectPathString(characteristic, "Service"), BlueZValues.Strings(characteristic, "Flags"));
        }
        else if (interfaces.TryGetValue(BlueZNames.GattService, out var service))
        {
            lock (_lock) _gatt[path] = new GattObject(BlueZNames.GattService, Uuid(service), null, []);
        }
        else if (interfaces.TryGetValue(BlueZNames.Device, out var props))
        {
            BleDevice device;
            lock (_lock)
            {
                if (_byPath.ContainsKey(path)) return;
                device = new BleDevice(this, path, props, _connection!.CreateProxy<IDevice1>(BlueZNames.Service, path), _loggerFactory.CreateLogger<BleDevice>());
                _byPath[path] = device;
            }
            Evaluate(device, []);
            Track($"watch {path}", ct => WatchDeviceAsync(device, ct));
        }
    }

    /// <summary>Subscribes to a device's PropertiesChanged, then reads its properties once, to close the gap in between.</summary>
    private async Task WatchDeviceAsync(BleDevice device, CancellationToken cancellationToken)
    {
        var proxy = _connection!.CreateProxy<IDevice1>(BlueZNames.Service, device.Path);
        device.PropsWatch = await CallAsync($"watch {device.Path}", () => proxy.WatchPropertiesAsync(changes =>
        {
            device.ApplyProps(changes.Changed, changes.Invalidated);
            Evaluate(device, [.. changes.Changed.Select(c => c.Key), .. changes.Invalidated]);
        }), cancellationToken).ConfigureAwait(false);
        try
        {
            var props = await CallAsync($"read {device.Path}", () => proxy.GetAllAsync(), cancellationToken).ConfigureAwait(false);
            device.ApplyProps(props, [], snapshot: true);
            Evaluate(device, []);
        }
        catch (IoTException e) { LogDeviceReadFailed(device.Path, e.Message); } // removed in between
    }

    private void OnInterfacesRemoved(ObjectPath objectPath, string[] interfaces)
    {
        var path = objectPath.ToString();
        if (path == Options.AdapterPath && interfaces.Contains(BlueZNames.Adapter))
        {
            LogAdapterGone(Options.AdapterPath);
            MarkStopped();
            return;
        }
        BleDevice? device = null;
        bool wasKnown = false;
        lock (_lock)
        {
            _gatt.Remove(path);
            if (interfaces.Contains(BlueZNames.Device) && _byPath.Remove(path, out device))
            {
                wasKnown = _known.Remove(device.Id);
                foreach (var key in _gatt.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).ToList()) _gatt.Remove(key);
            }
        }
        if (device is null) return;
        device.CancelReconnect();
        device.DisposeWatches();
        if (wasKnown)
        {
            LogDeviceGone(device.Id);
            _sink?.OnDeviceRemoved(device.Id);
            _sink?.OnStationEvent(StationEventType.PropsChanged);
        }
    }

    private void OnAdapterChanged(PropertyChanges changes)
    {
        bool poweredOff = false, discoveryEnded = false;
        TaskCompletionSource<bool>? poweredOn = null;
        lock (_lock)
        {
            foreach (var (name, value) in changes.Changed) _adapterProps[name] = value;
            foreach (var name in changes.Invalidated) _adapterProps.Remove(name);
            bool powered = BlueZValues.Bool(_adapterProps, "Powered");
            if (powered) poweredOn = _poweredWaiter;
            else if (_started && changes.Changed.Any(c => c.Key == "Powered")) poweredOff = true;
            if (_discovering && !BlueZValues.Bool(_adapterProps, "Discovering") && changes.Changed.Any(c => c.Key == "Discovering"))
            {
                // Our session ended without us (adapter reset, powered off): the scan is over.
                _discovering = false;
                discoveryEnded = true;
            }
        }
        poweredOn?.TrySetResult(true);
        if (discoveryEnded) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        if (poweredOff)
        {
            LogPoweredOff(Options.AdapterPath);
            MarkStopped();
        }
        else _sink?.OnStationEvent(StationEventType.PropsChanged);
    }

    private void MarkStopped()
    {
        bool wasStarted, wasDiscovering;
        lock (_lock)
        {
            wasStarted = _started;
            wasDiscovering = _discovering;
            _started = _discovering = false;
        }
        foreach (var device in AllDevices()) device.CancelReconnect();
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
        bool surface = false, refresh = false;
        lock (_lock)
        {
            if (!_byPath.ContainsKey(device.Path)) return;
            if (device.Known) refresh = changed.Any(AdvertisedProps.Contains);
            else if ((_discovering || (_started && device.IsLinkUp)) && device.MatchesFilter(Options.Filter))
            {
                device.Known = surface = true;
                _known[device.Id] = device;
            }
        }
        if (surface)
        {
            LogDiscovered(device.Id, device.Name ?? "");
            _sink?.OnStationEvent(StationEventType.DeviceDiscovered, device.Id, device.Advertisement());
        }
        else if (refresh) _sink?.OnDeviceEvent(device.Id, DeviceEventType.PropsChanged);
    }

    private void Reevaluate()
    {
        foreach (var device in AllDevices()) Evaluate(device, []);
    }

    private BleDevice[] AllDevices()
    {
        lock (_lock) return [.. _byPath.Values];
    }

    private BleDevice RequireKnown(string device)
    {
        lock (_lock)
            return _known.GetValueOrDefault(device) ?? throw new IoTException(ErrorCode.UnknownDevice, $"station '{Id}' knows no device '{device}'");
    }

    private void OnWatchError(Exception e) => LogWatchFailed(e.Message);

    private static string Uuid(IDictionary<string, object> props) => (BlueZValues.String(props, "UUID") ?? "").ToLowerInvariant();

    private static string? ObjectPathString(IDictionary<string, object> props, string name) =>
        props.TryGetValue(name, out var v) && v is ObjectPath p ? p.ToString() : null;

    private sealed record GattObject(string Interface, string Uuid, string? Service, IReadOnlyCollection<string> Flags);

    [LoggerMessage(EventId = 2309, Level = LogLevel.Information, Message = "BLE station on D-Bus '{Address}', adapter {Adapter} ({Bdaddr})")]
    private partial void LogOnBus(string address, string adapter, string bdaddr);

    [LoggerMessage(EventId = 2310, Level = LogLevel.Information, Message = "BLE station '{Station}' started: {Adapter} powered")]
    private partial void LogStarted(string station, string adapter);

    [LoggerMessage(EventId = 2311, Level = LogLevel.Information, Message = "BLE station '{Station}' stopped")]
    private partial void LogStopped(string station);

    [LoggerMessage(EventId = 2312, Level = LogLevel.Information, Message = "BLE station '{Station}': discovery {What}")]
    private partial void LogDiscovery(string station, string what);

    [LoggerMessage(EventId = 2313, Level = LogLevel.Information, Message = "Discovered BLE device '{Device}' ({Name})")]
    private partial void LogDiscovered(string device, string name);

    [LoggerMessage(EventId = 2314, Level = LogLevel.Information, Message = "BLE device '{Device}' is gone from BlueZ")]
    private partial void LogDeviceGone(string device);

    [LoggerMessage(EventId = 2315, Level = LogLevel.Warning, Message = "Adapter {Adapter} was powered off from outside: station stopped")]
    private partial void LogPoweredOff(string adapter);

    [LoggerMessage(EventId = 2316, Level = LogLevel.Warning, Message = "Adapter {Adapter} is gone from BlueZ: station stopped")]
    private partial void LogAdapterGone(string adapter);

    [LoggerMessage(EventId = 2317, Level = LogLevel.Debug, Message = "{What}: BlueZ says InProgress, retry {Attempt}")]
    private partial void LogInProgressRetry(string what, int attempt);

    [LoggerMessage(EventId = 2318, Level = LogLevel.Debug, Message = "Stopping discovery: {Error}")]
    private partial void LogDiscoveryStopIgnored(string error);

    [LoggerMessage(EventId = 2319, Level = LogLevel.Warning, Message = "Could not read {Path}: {Error}")]
    private partial void LogDeviceReadFailed(string path, string error);

    [LoggerMessage(EventId = 2320, Level = LogLevel.Error, Message = "BLE background work failed: {What}")]
    private partial void LogBackgroundFailed(Exception exception, string what);

    [LoggerMessage(EventId = 2321, Level = LogLevel.Warning, Message = "A D-Bus signal subscription failed: {Error}")]
    private partial void LogWatchFailed(string error);

    [LoggerMessage(EventId = 2322, Level = LogLevel.Error, Message = "Lost the D-Bus connection to '{Address}': {Reason}")]
    private partial void LogBusLost(string address, string reason);

    [LoggerMessage(EventId = 2323, Level = LogLevel.Warning, Message = "Could not disconnect every device while shutting down: {Error}")]
    private partial void LogDisposeDisconnectFailed(string error);
}
