using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>What the station hears from the object tree.</summary>
internal interface IBleTreeListener
{
    /// <summary>A device object appeared (or its properties changed: <paramref name="changed"/> names them).</summary>
    void OnDeviceSeen(BleDevice device, IReadOnlyCollection<string> changed);

    /// <summary>A device object is gone from BlueZ; its GATT objects are forgotten.</summary>
    void OnDeviceGone(BleDevice device);

    /// <summary>The adapter itself is gone from BlueZ.</summary>
    void OnAdapterGone();
}

/// <summary>
/// The mirror of BlueZ's object tree under one adapter, fed by the ObjectManager signals (InterfacesAdded /
/// InterfacesRemoved) and each device's PropertiesChanged: the device objects by path and the GATT services and
/// characteristics that are the keys of connected devices.
/// </summary>
internal sealed partial class BleObjectTree(BleStationOptions options, BlueZCalls calls, BleBackgroundWork background,
    Func<string, IDictionary<string, object>, BleDevice> createDevice, Func<Connection> connection, ILogger logger)
{
    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BleDevice> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GattObject> _gatt = new(StringComparer.Ordinal);

    /// <summary>Who hears about devices and the adapter; set before the tree is fed.</summary>
    public IBleTreeListener? Listener { get; set; }

    /// <summary>Every device object BlueZ has under the adapter, reported or not.</summary>
    public BleDevice[] Devices()
    {
        lock (_lock) return [.. _byPath.Values];
    }

    /// <summary>Whether the device object is still in the tree.</summary>
    public bool Contains(BleDevice device)
    {
        lock (_lock) return _byPath.TryGetValue(device.Path, out var d) && d == device;
    }

    /// <summary>The characteristics BlueZ exports under a device path, with their service's UUID.</summary>
    public List<BleCharacteristic> CharacteristicsOf(string devicePath)
    {
        var prefix = devicePath + "/";
        var bus = connection();
        lock (_lock)
        {
            return [.. _gatt.Where(g => g.Key.StartsWith(prefix, StringComparison.Ordinal) && g.Value.Interface == BlueZNames.GattCharacteristic)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new BleCharacteristic(g.Key, g.Value.Uuid,
                    g.Value.Service is { } s && _gatt.TryGetValue(s, out var service) ? service.Uuid : "",
                    g.Value.Flags, bus.CreateProxy<IGattCharacteristic1>(BlueZNames.Service, g.Key)))];
        }
    }

    public void OnInterfacesAdded(ObjectPath objectPath, IDictionary<string, IDictionary<string, object>> interfaces)
    {
        var path = objectPath.ToString();
        if (!path.StartsWith(options.AdapterPath + "/", StringComparison.Ordinal)) return;
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
                device = createDevice(path, props);
                _byPath[path] = device;
            }
            Listener?.OnDeviceSeen(device, []);
            background.Run($"watch {path}", ct => WatchDeviceAsync(device, ct));
        }
    }

    public void OnInterfacesRemoved(ObjectPath objectPath, string[] interfaces)
    {
        var path = objectPath.ToString();
        if (path == options.AdapterPath && interfaces.Contains(BlueZNames.Adapter))
        {
            Listener?.OnAdapterGone();
            return;
        }
        BleDevice? device = null;
        lock (_lock)
        {
            _gatt.Remove(path);
            if (interfaces.Contains(BlueZNames.Device) && _byPath.Remove(path, out device))
                foreach (var key in _gatt.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).ToList()) _gatt.Remove(key);
        }
        if (device is not null) Listener?.OnDeviceGone(device);
    }

    /// <summary>Subscribes to a device's PropertiesChanged, then reads its properties once, to close the gap in between.</summary>
    private async Task WatchDeviceAsync(BleDevice device, CancellationToken cancellationToken)
    {
        var proxy = connection().CreateProxy<IDevice1>(BlueZNames.Service, device.Path);
        device.PropsWatch = await calls.CallAsync($"watch {device.Path}", () => proxy.WatchPropertiesAsync(changes =>
        {
            device.ApplyProps(changes.Changed, changes.Invalidated);
            Listener?.OnDeviceSeen(device, [.. changes.Changed.Select(c => c.Key), .. changes.Invalidated]);
        }), cancellationToken).ConfigureAwait(false);
        try
        {
            var props = await calls.CallAsync($"read {device.Path}", () => proxy.GetAllAsync(), cancellationToken).ConfigureAwait(false);
            device.ApplyProps(props, [], snapshot: true);
            Listener?.OnDeviceSeen(device, []);
        }
        catch (MqttIoT.Sdk.IoTException e) { LogDeviceReadFailed(device.Path, e.Message); } // removed in between
    }

    private static string Uuid(IDictionary<string, object> props) => (BlueZValues.String(props, "UUID") ?? "").ToLowerInvariant();

    private static string? ObjectPathString(IDictionary<string, object> props, string name) =>
        props.TryGetValue(name, out var v) && v is ObjectPath p ? p.ToString() : null;

    private sealed record GattObject(string Interface, string Uuid, string? Service, IReadOnlyCollection<string> Flags);

    [LoggerMessage(EventId = 2319, Level = LogLevel.Warning, Message = "Could not read {Path}: {Error}")]
    private partial void LogDeviceReadFailed(string path, string error);
}
