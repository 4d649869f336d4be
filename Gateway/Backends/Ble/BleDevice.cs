using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// A BLE peripheral, one BlueZ <c>org.bluez.Device1</c> object. Its keys are its GATT characteristics, named by
/// UUID or, for UUIDs the SIG assigned, by a friendly name (<see cref="GattNames"/>). One GATT operation runs at
/// a time per device. When the link drops, the device reconnects by itself (if configured) and turns the
/// notifications that were on back on. The device owns BlueZ's properties of the object and the GATT lock; its link
/// is supervised by <see cref="BleConnection"/>, its keys kept by <see cref="BleKeys"/>, its notifications by
/// <see cref="BleNotifications"/>.
/// </summary>
public sealed partial class BleDevice : IDeviceBackend
{
    private static readonly Dictionary<string, object> NoOptions = new(StringComparer.Ordinal);

    private readonly BleStation _station;
    private readonly IDevice1 _proxy;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gatt = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, object> _props;
    private readonly HashSet<string> _signalled = new(StringComparer.Ordinal);
    private readonly BleKeys _keys = new();
    private readonly BleConnection _connection;
    private readonly BleNotifications _notifications;

    internal BleDevice(BleStation station, string path, IDictionary<string, object> props, IDevice1 proxy, ILogger logger)
    {
        _station = station;
        Path = path;
        _proxy = proxy;
        _logger = logger;
        _props = new Dictionary<string, object>(props, StringComparer.Ordinal);
        Address = BlueZValues.String(props, "Address") ?? path[(path.LastIndexOf("dev_", StringComparison.Ordinal) + 4)..].Replace('_', ':');
        Id = $"{station.Id}-{Address}";
        _connection = new BleConnection(this, station, proxy, _gatt, ct => _notifications!.RestoreAsync(ct), logger);
        _notifications = new BleNotifications(this, station, _keys, () => _connection.IsReady, logger);
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <summary>The Bluetooth address.</summary>
    public string Address { get; }

    /// <summary>BlueZ's object path of the device.</summary>
    public string Path { get; }

    /// <summary>Whether the link is up and the GATT services are resolved.</summary>
    public bool IsReady => _connection.IsReady;

    /// <summary>Whether the station reported the device (it matched the discovery filter).</summary>
    internal bool Known { get; set; }

    internal IDisposable? PropsWatch { get; set; }

    internal string? Name
    {
        get { lock (_lock) return BlueZValues.String(_props, "Name") ?? BlueZValues.String(_props, "Alias"); }
    }

    internal bool IsLinkUp
    {
        get { lock (_lock) return BlueZValues.Bool(_props, "Connected"); }
    }

    /// <inheritdoc />
    public DeviceProps GetProps()
    {
        var model = _station.ModelOf(this);
        var characteristics = _keys.Uuids();
        lock (_lock)
        {
            var attributes = BlueZValues.Advertisement(_props);
            attributes["path"] = Path;
            attributes["paired"] = BlueZValues.Bool(_props, "Paired");
            attributes["servicesResolved"] = BlueZValues.Bool(_props, "ServicesResolved");
            if (model is not null) attributes["model"] = model.Name;
            if (characteristics is not null) attributes["characteristics"] = characteristics;
            return new DeviceProps
            {
                Id = Id, Station = _station.Id, Name = BlueZValues.String(_props, "Name") ?? BlueZValues.String(_props, "Alias"),
                Connected = _connection.IsReady, Keys = _keys.Keys, Attributes = attributes,
            };
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> GetKeys() => _keys.Keys;

    /// <summary>Connects and waits until the services are resolved, then turns notifications that were on back on.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        CancelReconnect();
        await _gatt.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { await _connection.ConnectLockedAsync(cancellationToken).ConfigureAwait(false); }
        finally { _gatt.Release(); }
    }

    /// <inheritdoc />
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        CancelReconnect();
        await _gatt.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _connection.RequestDisconnect();
            _notifications.Clear();
            if (!IsLinkUp && !IsReady) return;
            try
            {
                await _station.Calls.CallAsync($"disconnect '{Id}'", () => _proxy.DisconnectAsync(), cancellationToken).ConfigureAwait(false);
            }
            catch (IoTException e) when (e.Code == ErrorCode.NotConnected) { }
            // BlueZ's signals follow; the device is disconnected now, whatever their order against the reply.
            ApplyProps([new("ServicesResolved", false), new("Connected", false)], []);
        }
        finally { _gatt.Release(); }
    }

    /// <inheritdoc />
    public Task<TimeReply> SetTimeAsync(CancellationToken cancellationToken) => WriteClockAsync(sync: false, cancellationToken);

    /// <inheritdoc />
    public Task<TimeReply> SyncTimeAsync(CancellationToken cancellationToken) => WriteClockAsync(sync: true, cancellationToken);

    /// <inheritdoc />
    public Task<byte[]> ReadValueAsync(string key, CancellationToken cancellationToken) =>
        GattAsync(key, c =>
        {
            if (!c.CanRead) throw new IoTException(ErrorCode.Unsupported, $"key '{c.Key}' of '{Id}' cannot be read");
            return _station.Calls.CallAsync($"read '{c.Key}' of '{Id}'", () => c.Proxy.ReadValueAsync(NoOptions), cancellationToken);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> WriteValueAsync(string key, ReadOnlyMemory<byte> value, bool withResponse, CancellationToken cancellationToken) =>
        GattAsync(key, async c =>
        {
            await WriteAsync(c, value.ToArray(), withResponse, cancellationToken).ConfigureAwait(false);
            return value.Length;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task EnableNotificationsAsync(string key, CancellationToken cancellationToken)
    {
        var started = await GattAsync(key, async c =>
        {
            await _notifications.EnableAsync(c, cancellationToken).ConfigureAwait(false);
            return c.Key;
        }, cancellationToken).ConfigureAwait(false);
        _station.Sink?.OnDeviceEvent(Id, DeviceEventType.NotifyStarted, started);
    }

    /// <inheritdoc />
    public async Task DisableNotificationsAsync(string key, CancellationToken cancellationToken)
    {
        var stopped = await GattAsync(key, async c => await _notifications.DisableAsync(c, cancellationToken).ConfigureAwait(false) ? c.Key : null,
            cancellationToken).ConfigureAwait(false);
        if (stopped is not null) _station.Sink?.OnDeviceEvent(Id, DeviceEventType.NotifyStopped, stopped);
    }

    /// <inheritdoc />
    public Task ResetAsync(CancellationToken cancellationToken)
    {
        var model = _station.ModelOf(this);
        if (model?.ResetCharacteristic is not { } resetUuid)
            throw new IoTException(ErrorCode.Unsupported, $"no reset characteristic is configured for the model of '{Id}'{(model is null ? " (no model matches it)" : $" ('{model.Name}')")}");
        GattNames.TryParseUuid(resetUuid, out var uuid);
        return LockedAsync(async () =>
        {
            // Disconnected, the characteristics are gone: that is NOT_CONNECTED, not a device without the characteristic.
            RequireReady();
            var c = _keys.FindByUuid(uuid) ?? throw new IoTException(ErrorCode.Unsupported, $"'{Id}' has no reset characteristic {uuid}");
            await WriteAsync(c, [.. model.ResetValue], withResponse: c.CanWrite, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Applies a PropertiesChanged of the Device1 object and acts on link changes. Values read with GetAll
    /// (<paramref name="snapshot"/>) may be older than signals already applied, so they fill in only what no signal set.
    /// </summary>
    internal void ApplyProps(IEnumerable<KeyValuePair<string, object>> changed, IEnumerable<string> invalidated, bool snapshot = false)
    {
        LinkChange link;
        bool restore = false;
        lock (_lock)
        {
            bool wasConnected = BlueZValues.Bool(_props, "Connected");
            foreach (var (name, value) in changed)
            {
                if (snapshot && _signalled.Contains(name)) continue;
                _props[name] = value;
                if (!snapshot) _signalled.Add(name);
            }
            foreach (var name in invalidated)
            {
                _props.Remove(name);
                _signalled.Add(name);
            }
            bool connected = BlueZValues.Bool(_props, "Connected");
            link = _connection.Update(wasConnected, connected, connected && BlueZValues.Bool(_props, "ServicesResolved"));
            if (link.BecameReady) restore = _notifications.OnReady(link.WasConnecting);
            if (link.Lost) _keys.Drop();
        }
        if (link.BecameReady)
        {
            // Read outside our lock: the station's parts take their locks before a device's elsewhere (props, discovery).
            var found = _station.CharacteristicsOf(Path);
            lock (_lock) if (_connection.IsReady) _keys.Set(found);
            _connection.CompleteReady();
            _station.Sink?.OnDeviceEvent(Id, DeviceEventType.Connected);
            _station.Sink?.OnStationEvent(StationEventType.DeviceConnected, Id);
            LogConnected(Id, GetKeys().Count);
            if (restore) _station.Track($"restore notifications of '{Id}'", ct => LockedAsync(() => _notifications.RestoreAsync(ct), ct));
        }
        if (link.Lost)
        {
            // The reconnect is started before the line is logged: whoever reads the line knows whether one runs.
            if (link.Reconnect) _station.OnLinkLost(this);
            _station.Sink?.OnDeviceEvent(Id, DeviceEventType.Disconnected);
            _station.Sink?.OnStationEvent(StationEventType.DeviceDisconnected, Id);
            LogDisconnected(Id, link.Reconnect ? "dropped" : "on request");
        }
        link.FailWaiters?.TrySetException(new IoTException(ErrorCode.BackendFailure, $"'{Id}' dropped the link while its services were being resolved"));
    }

    /// <summary>Reconnects after a drop (see <see cref="BleConnection.ReconnectAsync"/>).</summary>
    internal Task ReconnectAsync(CancellationToken stopping) => _connection.ReconnectAsync(stopping);

    internal void CancelReconnect() => _connection.CancelReconnect();

    internal bool MatchesFilter(BleDiscoveryFilter filter)
    {
        lock (_lock)
        {
            var uuids = BlueZValues.Strings(_props, "UUIDs").Concat(BlueZValues.ServiceData(_props).Keys);
            // A connected device no longer advertises, so BlueZ has no RSSI for it: the threshold does not apply.
            var rssi = BlueZValues.Bool(_props, "Connected") ? filter.RssiThreshold : BlueZValues.Int16(_props, "RSSI");
            return filter.Matches(Address, BlueZValues.String(_props, "Name"), rssi, uuids);
        }
    }

    internal JsonObject Advertisement()
    {
        lock (_lock) return BlueZValues.Advertisement(_props);
    }

    internal IReadOnlyCollection<ushort> ManufacturerIds()
    {
        lock (_lock) return [.. BlueZValues.ManufacturerData(_props).Keys];
    }

    internal void DisposeWatches()
    {
        PropsWatch?.Dispose();
        _keys.DisposeWatches();
    }

    private Task WriteAsync(BleCharacteristic c, byte[] value, bool withResponse, CancellationToken cancellationToken)
    {
        if (withResponse ? !c.CanWrite : !c.CanWriteWithoutResponse)
            throw new IoTException(ErrorCode.Unsupported, $"key '{c.Key}' of '{Id}' cannot be written {(withResponse ? "with" : "without")} response");
        var options = new Dictionary<string, object>(StringComparer.Ordinal) { ["type"] = withResponse ? "request" : "command" };
        return _station.Calls.CallAsync($"write '{c.Key}' of '{Id}'", () => c.Proxy.WriteValueAsync(value, options), cancellationToken);
    }

    private async Task<TimeReply> WriteClockAsync(bool sync, CancellationToken cancellationToken)
    {
        var reply = await LockedAsync(async () =>
        {
            RequireReady();
            var c = _keys.FindByUuid(GattNames.CurrentTime, GattNames.CurrentTimeService)
                ?? throw new IoTException(ErrorCode.Unsupported, $"'{Id}' has no Current Time Service (0x1805, characteristic 0x2A2B)");
            if (!c.CanWrite) throw new IoTException(ErrorCode.Unsupported, $"the Current Time of '{Id}' cannot be written");
            if (sync && !c.CanRead) throw new IoTException(ErrorCode.Unsupported, $"the Current Time of '{Id}' cannot be read to compare it");
            var zone = _station.Options.DeviceTimeZone;
            double offset = 0;
            if (c.CanRead)
            {
                var before = _station.Time.GetUtcNow();
                var bytes = await _station.Calls.CallAsync($"read the clock of '{Id}'", () => c.Proxy.ReadValueAsync(NoOptions), cancellationToken).ConfigureAwait(false);
                // The device read its clock about halfway through the round trip.
                var midway = before + (_station.Time.GetUtcNow() - before) / 2;
                if (CurrentTime.Decode(bytes, zone) is { } deviceTime) offset = (deviceTime - midway).TotalMilliseconds;
                else LogClockUnknown(Id, ValueCodec.ToHex(bytes));
            }
            var now = _station.Time.GetUtcNow();
            await WriteAsync(c, CurrentTime.Encode(now, zone), withResponse: true, cancellationToken).ConfigureAwait(false);
            return new TimeReply(now, Math.Round(offset, 1));
        }, cancellationToken).ConfigureAwait(false);
        _station.Sink?.OnDeviceEvent(Id, sync ? DeviceEventType.TimeSynced : DeviceEventType.TimeSet,
            data: new JsonObject { ["deviceTime"] = reply.DeviceTime, ["offsetMs"] = reply.OffsetMs });
        return reply;
    }

    /// <summary>One GATT operation on a key: under the device's lock, on a connected device, on a key it has.</summary>
    private Task<T> GattAsync<T>(string key, Func<BleCharacteristic, Task<T>> operation, CancellationToken cancellationToken) =>
        LockedAsync(() =>
        {
            RequireReady(key);
            return operation(_keys.Find(key) ?? throw new IoTException(ErrorCode.UnknownKey, $"device '{Id}' has no key '{key}'"));
        }, cancellationToken);

    private async Task<T> LockedAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        await _gatt.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await operation().ConfigureAwait(false); }
        finally { _gatt.Release(); }
    }

    private async Task LockedAsync(Func<Task<bool>> operation, CancellationToken cancellationToken) =>
        await LockedAsync<bool>(operation, cancellationToken).ConfigureAwait(false);

    private void RequireReady(string? key = null)
    {
        if (_connection.IsReady) return;
        if (key is not null && _keys.IsUnknown(key)) throw new IoTException(ErrorCode.UnknownKey, $"device '{Id}' has no key '{key}'");
        throw new IoTException(ErrorCode.NotConnected, $"device '{Id}' is not connected");
    }

    [LoggerMessage(EventId = 2300, Level = LogLevel.Information, Message = "BLE device '{Device}' connected, {Keys} characteristics")]
    private partial void LogConnected(string device, int keys);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "BLE device '{Device}' disconnected ({How})")]
    private partial void LogDisconnected(string device, string how);

    [LoggerMessage(EventId = 2308, Level = LogLevel.Warning, Message = "'{Device}' does not know its time (Current Time {Bytes}); offset reported as 0")]
    private partial void LogClockUnknown(string device, string bytes);
}
