using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>What changed on the adapter in one PropertiesChanged: the station acts on power and discovery ending.</summary>
internal readonly record struct AdapterChange(bool PoweredOff, bool DiscoveringOff);

/// <summary>
/// The D-Bus connection and the adapter on it: connecting (once), the ObjectManager and adapter subscriptions, the
/// adapter's properties, powering it on (and waiting until it says so) and off, and leaving the bus.
/// </summary>
internal sealed partial class BleBus(BleStationOptions options, BlueZCalls calls, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private readonly List<IDisposable> _watches = [];
    private Dictionary<string, object> _props = new(StringComparer.Ordinal);
    private TaskCompletionSource<bool>? _poweredWaiter;
    private Connection? _connection;
    private IAdapter1? _adapter;
    private volatile bool _leaving;

    /// <summary>The connection, once on the bus.</summary>
    public Connection Connection => _connection ?? throw new InvalidOperationException("not on the bus");

    /// <summary>The adapter, once on the bus; null before.</summary>
    public IAdapter1? Adapter => _adapter;

    /// <summary>Whether the adapter says it is powered.</summary>
    public bool Powered
    {
        get { lock (_lock) return BlueZValues.Bool(_props, "Powered"); }
    }

    /// <summary>The adapter's Bluetooth address, once known.</summary>
    public string? Address
    {
        get { lock (_lock) return BlueZValues.String(_props, "Address"); }
    }

    /// <summary>
    /// Connects to the bus the first time: subscribes to the ObjectManager signals and the adapter's properties (before
    /// reading the tree, so nothing falls between the snapshot and the signals), then replays the tree through
    /// <paramref name="tree"/>. <paramref name="onAdapterChanged"/> hears every adapter change after it is applied.
    /// </summary>
    public async Task<IAdapter1> EnsureAsync(BleObjectTree tree, Action<PropertyChanges, AdapterChange> onAdapterChanged, CancellationToken cancellationToken)
    {
        if (_adapter is { } existing) return existing;
        var address = options.DBusAddress ?? Tmds.DBus.Address.System
            ?? throw new IoTException(ErrorCode.BackendFailure, "no system bus address (set DBUS_SYSTEM_BUS_ADDRESS or --dbus-address)");
        var connection = new Connection(new ClientConnectionOptions(address) { AutoConnect = false, RunContinuationsAsynchronously = true });
        try
        {
            try { await connection.ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false); }
            catch (ConnectException e) { throw new IoTException(ErrorCode.BackendFailure, $"cannot reach D-Bus at '{address}': {e.Message}", e); }
            connection.StateChanged += (_, e) =>
            {
                // Our own Dispose disconnects too (its reason an ObjectDisposedException): that is leaving, not losing the bus.
                if (e.State == ConnectionState.Disconnected && !_leaving) LogBusLost(address, e.DisconnectReason?.Message ?? "closed");
            };
            var objectManager = connection.CreateProxy<IObjectManager>(BlueZNames.Service, ObjectPath.Root);
            var adapter = connection.CreateProxy<IAdapter1>(BlueZNames.Service, options.AdapterPath);
            _connection = connection;
            var added = await calls.CallAsync("watch InterfacesAdded", () => objectManager.WatchInterfacesAddedAsync(e => tree.OnInterfacesAdded(e.path, e.interfaces), OnWatchError), cancellationToken).ConfigureAwait(false);
            var removed = await calls.CallAsync("watch InterfacesRemoved", () => objectManager.WatchInterfacesRemovedAsync(e => tree.OnInterfacesRemoved(e.path, e.interfaces), OnWatchError), cancellationToken).ConfigureAwait(false);
            var adapterWatch = await calls.CallAsync("watch the adapter", () => adapter.WatchPropertiesAsync(changes => onAdapterChanged(changes, Apply(changes))), cancellationToken).ConfigureAwait(false);
            lock (_lock) _watches.AddRange([added, removed, adapterWatch]);
            var objects = await calls.CallAsync($"list BlueZ's objects on '{address}'", () => objectManager.GetManagedObjectsAsync(), cancellationToken).ConfigureAwait(false);
            if (!objects.TryGetValue(new ObjectPath(options.AdapterPath), out var adapterObject) || !adapterObject.TryGetValue(BlueZNames.Adapter, out var adapterProps))
            {
                var adapters = objects.Where(o => o.Value.ContainsKey(BlueZNames.Adapter)).Select(o => o.Key.ToString());
                throw new IoTException(ErrorCode.BackendFailure, $"BlueZ has no adapter {options.AdapterPath} (it has: {string.Join(", ", adapters.DefaultIfEmpty("none"))})");
            }
            lock (_lock) _props = new Dictionary<string, object>(adapterProps, StringComparer.Ordinal);
            foreach (var (path, interfaces) in objects.OrderBy(o => o.Key.ToString(), StringComparer.Ordinal))
                tree.OnInterfacesAdded(path, interfaces);
            _adapter = adapter;
            LogOnBus(address, options.AdapterPath, BlueZValues.String(adapterProps, "Address") ?? "?");
            return adapter;
        }
        catch
        {
            DisposeWatches();
            _connection = null;
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Powers the adapter on (unless it is) and waits until it says so.</summary>
    public async Task PowerOnAsync(IAdapter1 adapter, CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> powered;
        lock (_lock)
        {
            powered = _poweredWaiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (BlueZValues.Bool(_props, "Powered")) powered.TrySetResult(true);
        }
        if (!powered.Task.IsCompleted)
            await calls.CallAsync($"power on {options.AdapterPath}", () => adapter.SetAsync("Powered", true), cancellationToken).ConfigureAwait(false);
        try { await powered.Task.WaitAsync(options.PowerTimeout, time, cancellationToken).ConfigureAwait(false); }
        catch (TimeoutException)
        {
            throw new IoTException(ErrorCode.BackendFailure, $"adapter {options.AdapterPath} did not power on within {options.PowerTimeout.TotalSeconds:0.#} s (rfkill?)");
        }
    }

    /// <summary>Powers the adapter off.</summary>
    public Task PowerOffAsync(CancellationToken cancellationToken) =>
        _adapter is { } adapter
            ? calls.CallAsync($"power off {options.AdapterPath}", () => adapter.SetAsync("Powered", false), cancellationToken)
            : Task.CompletedTask;

    /// <summary>Ends the subscriptions and leaves the bus.</summary>
    public void Dispose()
    {
        _leaving = true;
        DisposeWatches();
        _connection?.Dispose();
    }

    private AdapterChange Apply(PropertyChanges changes)
    {
        TaskCompletionSource<bool>? poweredOn = null;
        AdapterChange change;
        lock (_lock)
        {
            foreach (var (name, value) in changes.Changed) _props[name] = value;
            foreach (var name in changes.Invalidated) _props.Remove(name);
            bool powered = BlueZValues.Bool(_props, "Powered");
            if (powered) poweredOn = _poweredWaiter;
            change = new AdapterChange(
                PoweredOff: !powered && changes.Changed.Any(c => c.Key == "Powered"),
                DiscoveringOff: !BlueZValues.Bool(_props, "Discovering") && changes.Changed.Any(c => c.Key == "Discovering"));
        }
        poweredOn?.TrySetResult(true);
        return change;
    }

    private void DisposeWatches()
    {
        lock (_lock)
        {
            foreach (var watch in _watches) watch.Dispose();
            _watches.Clear();
        }
    }

    private void OnWatchError(Exception e) => LogWatchFailed(e.Message);

    [LoggerMessage(EventId = 2309, Level = LogLevel.Information, Message = "BLE station on D-Bus '{Address}', adapter {Adapter} ({Bdaddr})")]
    private partial void LogOnBus(string address, string adapter, string bdaddr);

    [LoggerMessage(EventId = 2321, Level = LogLevel.Warning, Message = "A D-Bus signal subscription failed: {Error}")]
    private partial void LogWatchFailed(string error);

    [LoggerMessage(EventId = 2322, Level = LogLevel.Error, Message = "Lost the D-Bus connection to '{Address}': {Reason}")]
    private partial void LogBusLost(string address, string reason);
}
