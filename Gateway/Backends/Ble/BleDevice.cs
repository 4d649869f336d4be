using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// A BLE peripheral, one BlueZ <c>org.bluez.Device1</c> object. Its keys are its GATT characteristics, named by
/// UUID or, for UUIDs the SIG assigned, by a friendly name (<see cref="GattNames"/>). One GATT operation runs at
/// a time per device. When the link drops, the device reconnects by itself (if configured) and turns the
/// notifications that were on back on.
/// </summary>
public sealed partial class BleDevice : IDeviceBackend
{
    private static readonly Dictionary<string, object> NoOptions = new(StringComparer.Ordinal);
    private static readonly TimeSpan DisconnectWait = TimeSpan.FromSeconds(5);

    private readonly BleStation _station;
    private readonly IDevice1 _proxy;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gatt = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, object> _props;
    private readonly HashSet<string> _wantNotify = new(StringComparer.Ordinal);
    private readonly HashSet<string> _signalled = new(StringComparer.Ordinal);
    private Dictionary<string, BleCharacteristic> _characteristics = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _keys = [];
    private TaskCompletionSource _readyTcs = NewReady();
    private CancellationTokenSource? _reconnect;
    private bool _ready;
    private bool _connecting;
    private bool _requestedDisconnect;
    private bool _notificationsRestored = true;

    internal BleDevice(BleStation station, string path, IDictionary<string, object> props, IDevice1 proxy, ILogger logger)
    {
        _station = station;
        Path = path;
        _proxy = proxy;
        _logger = logger;
        _props = new Dictionary<string, object>(props, StringComparer.Ordinal);
        Address = BlueZValues.String(props, "Address") ?? path[(path.LastIndexOf("dev_", StringComparison.Ordinal) + 4)..].Replace('_', ':');
        Id = $"{station.Id}-{Address}";
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <summary>The Bluetooth address.</summary>
    public string Address { get; }

    /// <summary>BlueZ's object path of the device.</summary>
    public string Path { get; }

    /// <summary>Whether the link is up and the GATT services are resolved.</summary>
    public bool IsReady
    {
        get { lock (_lock) return _ready; }
    }

    /// <summary>Whether the station reported the device (it matched the discovery filter).</summary>
    internal bool Known { get; set; }

    internal IDisposable? PropsWatch { get; set; }

    internal string? Name
    {
        get { lock (_lock) return BlueZValues.String(_props, "Name") ?? BlueZValues.String(_props, "Alias"); }
    }

    /// <inheritdoc />
    public DeviceProps GetProps()
    {
        lock (_lock)
        {
            var attributes = BlueZValues.Advertisement(_props);
            attributes["path"] = Path;
            attributes["paired"] = BlueZValues.Bool(_props, "Paired");
            attributes["servicesResolved"] = BlueZValues.Bool(_props, "ServicesResolved");
            if (_station.ModelOf(this) is { } model) attributes["model"] = model.Name;
            if (_characteristics.Count > 0)
            {
                var uuids = new JsonObject();
                foreach (var c in _characteristics.Values) uuids[c.Key] = c.Uuid;
                attributes["characteristics"] = uuids;
            }
            return new DeviceProps
            {
                Id = Id, Station = _station.Id, Name = BlueZValues.String(_props, "Name") ?? BlueZValues.String(_props, "Alias"),
                Connected = _ready, Keys = _keys, Attributes = attributes,
            };
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> GetKeys()
    {
        lock (_lock) return _keys;
    }

    /// <summary>Connects and waits until the services are resolved, then turns notifications that were on back on.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        CancelReconnect();
        await _gatt.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { await ConnectLockedAsync(cancellationToken).ConfigureAwait(false); }
        finally { _gatt.Release(); }
    }

    /// <inheritdoc />
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        CancelReconnect();
        await _gatt.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_lock)
            {
                _requestedDisconnect = true;
                _wantNotify.Clear();
                if (!BlueZValues.Bool(_props, "Connected") && !_ready) return;
            }
            try
            {
                await _station.CallAsync($"disconnect '{Id}'", () => _proxy.DisconnectAsync(), cancellationToken).ConfigureAwait(false);
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
            return _station.CallAsync($"read '{c.Key}' of '{Id}'", () => c.Proxy.ReadValueAsync(NoOptions), cancellationToken);
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
            // Wanted before StartNotify: a device may notify at once, and its Value signal can come before the reply.
            bool added;
            lock (_lock) added = _wantNotify.Add(c.Key);
            try { await StartNotifyAsync(c, cancellationToken).ConfigureAwait(false); }
            catch
            {
                if (added) lock (_lock) _wantNotify.Remove(c.Key);
                throw;
            }
            return c.Key;
        }, cancellationToken).ConfigureAwait(false);
        _station.Sink?.OnDeviceEvent(Id, DeviceEventType.NotifyStarted, started);
    }

    /// <inheritdoc />
    public async Task DisableNotificationsAsync(string key, CancellationToken cancellationToken)
    {
        var stopped = await GattAsync(key, async c =>
        {
            bool wanted;
            lock (_lock) wanted = _wantNotify.Remove(c.Key);
            if (!wanted && !c.Notifying) return null;
            try
            {
                await _station.CallAsync($"stop notify '{c.Key}' of '{Id}'", () => c.Proxy.StopNotifyAsync(), cancellationToken).ConfigureAwait(false);
            }
            catch (IoTException e) when (e.InnerException is DBusException { ErrorName: BlueZNames.ErrorFailed })
            {
                // "No notify session started": this client has none, which is what was asked.
            }
            return c.Key;
        }, cancellationToken).ConfigureAwait(false);
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
            var c = FindByUuid(uuid) ?? throw new IoTException(ErrorCode.Unsupported, $"'{Id}' has no reset characteristic {uuid}");
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
        bool becameReady = false, lost = false, linkDown = false, restore = false, reconnect = false;
        TaskCompletionSource? failWaiters = null;
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
            bool ready = connected && BlueZValues.Bool(_props, "ServicesResolved");
            if (ready && !_ready)
            {
                _ready = becameReady = true;
                restore = !_connecting && _wantNotify.Count > 0;
                _notificationsRestored = _wantNotify.Count == 0;
            }
            else if (!ready && _ready)
            {
                _ready = false;
                lost = true;
                foreach (var c in _characteristics.Values) c.ValueWatch?.Dispose();
                _characteristics = new(StringComparer.Ordinal);
                _readyTcs = NewReady();
                reconnect = !_requestedDisconnect;
            }
            if (wasConnected && !connected && _connecting && !_readyTcs.Task.IsCompleted)
            {
                // The link went down while services were being resolved: the waiting CONNECT fails now, not at its timeout.
                linkDown = true;
                failWaiters = _readyTcs;
                _readyTcs = NewReady();
            }
        }
        if (becameReady)
        {
            // Read outside our lock: the station's lock is taken before a device's elsewhere (props, discovery).
            var found = _station.CharacteristicsOf(Path);
            TaskCompletionSource ready;
            lock (_lock)
            {
                if (_ready) SetCharacteristics(found);
                ready = _readyTcs;
            }
            ready.TrySetResult();
            _station.Sink?.OnDeviceEvent(Id, DeviceEventType.Connected);
            _station.Sink?.OnStationEvent(StationEventType.DeviceConnected, Id);
            LogConnected(Id, GetKeys().Count);
            if (restore) _station.Track($"restore notifications of '{Id}'", ct => LockedAsync(() => RestoreNotificationsLockedAsync(ct), ct));
        }
        if (lost)
        {
            _station.Sink?.OnDeviceEvent(Id, DeviceEventType.Disconnected);
            _station.Sink?.OnStationEvent(StationEventType.DeviceDisconnected, Id);
            LogDisconnected(Id, reconnect ? "dropped" : "on request");
            if (reconnect) _station.OnLinkLost(this);
        }
        if (linkDown) failWaiters!.TrySetException(new IoTException(ErrorCode.BackendFailure, $"'{Id}' dropped the link while its services were being resolved"));
    }

    /// <summary>Reconnects after a drop, with growing pauses, until it works, is no longer wanted, or the attempts run out.</summary>
    internal async Task ReconnectAsync(BleStationOptions options, TimeProvider time, CancellationToken stopping)
    {
        using var reconnect = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        lock (_lock)
        {
            _reconnect?.Cancel();
            _reconnect = reconnect;
        }
        try
        {
            var delay = options.ReconnectDelay;
            for (int attempt = 1; attempt <= options.ReconnectAttempts; attempt++)
            {
                await Task.Delay(delay, time, reconnect.Token).ConfigureAwait(false);
                await _gatt.WaitAsync(reconnect.Token).ConfigureAwait(false);
                try
                {
                    lock (_lock) if (_requestedDisconnect) return;
                    if (!_station.IsStarted) return;
                    await ConnectLockedAsync(reconnect.Token).ConfigureAwait(false);
                    LogReconnected(Id, attempt);
                    return;
                }
                catch (IoTException e) { LogReconnectFailed(Id, attempt, options.ReconnectAttempts, e.Message); }
                finally { _gatt.Release(); }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            LogReconnectGaveUp(Id, options.ReconnectAttempts);
        }
        catch (OperationCanceledException) when (reconnect.IsCancellationRequested) { }
        finally
        {
            lock (_lock) if (_reconnect == reconnect) _reconnect = null;
        }
    }

    internal void CancelReconnect()
    {
        lock (_lock) _reconnect?.Cancel();
    }

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

    internal bool IsLinkUp
    {
        get { lock (_lock) return BlueZValues.Bool(_props, "Connected"); }
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
        lock (_lock) foreach (var c in _characteristics.Values) c.ValueWatch?.Dispose();
    }

    private async Task ConnectLockedAsync(CancellationToken cancellationToken)
    {
        Task ready;
        lock (_lock)
        {
            _requestedDisconnect = false;
            ready = _readyTcs.Task;
            if (_ready)
            {
                ready = Task.CompletedTask;
            }
            _connecting = true;
        }
        var options = _station.Options;
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, _station.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            if (!ready.IsCompleted)
            {
                for (int attempt = 1; ; attempt++)
                {
                    try
                    {
                        await _station.CallAsync($"connect '{Id}'", () => _proxy.ConnectAsync(), linked.Token).ConfigureAwait(false);
                        break;
                    }
                    catch (IoTException e) when (e.InnerException is DBusException { ErrorName: BlueZNames.ErrorAlreadyConnected }) { break; }
                    catch (IoTException e) when (e.Code == ErrorCode.BackendFailure && attempt < options.ConnectAttempts)
                    {
                        LogConnectRetry(Id, attempt, e.Message);
                    }
                }
                await ready.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            await RestoreNotificationsLockedAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IoTException)
        {
            if (!IsReady) await AbandonConnectAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                throw new IoTException(ErrorCode.BackendFailure,
                    $"'{Id}' did not connect and resolve its GATT services within {options.ConnectTimeout.TotalSeconds:0.#} s", e);
            throw;
        }
        finally
        {
            lock (_lock) _connecting = false;
        }
    }

    /// <summary>Cancels a connection that did not complete, so BlueZ does not keep trying behind our back.</summary>
    private async Task AbandonConnectAsync()
    {
        try { await _proxy.DisconnectAsync().WaitAsync(DisconnectWait, _station.Time).ConfigureAwait(false); }
        catch (Exception e) when (e is DBusException or TimeoutException or DisconnectedException) { }
    }

    /// <summary>Turns back on, after a reconnect, the notifications that were on; each gets NOTIFY_STARTED with reason "reconnect".</summary>
    private async Task<bool> RestoreNotificationsLockedAsync(CancellationToken cancellationToken)
    {
        string[] keys;
        lock (_lock)
        {
            if (_notificationsRestored || !_ready) return false;
            keys = [.. _wantNotify];
        }
        foreach (var key in keys)
        {
            BleCharacteristic? c;
            lock (_lock) _characteristics.TryGetValue(key, out c);
            if (c is null)
            {
                lock (_lock) _wantNotify.Remove(key);
                LogNotifyKeyGone(Id, key);
                _station.Sink?.OnDeviceEvent(Id, DeviceEventType.NotifyStopped, key, new JsonObject { ["reason"] = "gone after reconnect" });
                continue;
            }
            await StartNotifyAsync(c, cancellationToken).ConfigureAwait(false);
            _station.Sink?.OnDeviceEvent(Id, DeviceEventType.NotifyStarted, key, new JsonObject { ["reason"] = "reconnect" });
        }
        lock (_lock) _notificationsRestored = true;
        LogNotificationsRestored(Id, keys.Length);
        return true;
    }

    private async Task StartNotifyAsync(BleCharacteristic c, CancellationToken cancellationToken)
    {
        if (!c.CanNotify) throw new IoTException(ErrorCode.Unsupported, $"key '{c.Key}' of '{Id}' does not notify");
        // Watch before StartNotify, so no notification falls between the two.
        c.ValueWatch ??= await _station.CallAsync($"watch '{c.Key}' of '{Id}'", () => c.Proxy.WatchPropertiesAsync(ch => OnCharacteristicChanged(c, ch)),
            cancellationToken).ConfigureAwait(false);
        await _station.CallAsync($"start notify '{c.Key}' of '{Id}'", async () =>
        {
            try { await c.Proxy.StartNotifyAsync().ConfigureAwait(false); }
            // BlueZ answers InProgress when this client already has a notify session: that is success.
            catch (DBusException e) when (BlueZErrors.IsInProgress(e) && c.Notifying) { }
            return true;
        }, cancellationToken).ConfigureAwait(false);
        c.Notifying = true;
    }

    private void OnCharacteristicChanged(BleCharacteristic c, PropertyChanges changes)
    {
        foreach (var (name, value) in changes.Changed)
        {
            if (name == "Notifying" && value is bool on) c.Notifying = on;
            else if (name == "Value" && value is byte[] bytes)
            {
                bool wanted;
                lock (_lock) wanted = _ready && _wantNotify.Contains(c.Key);
                if (wanted) _station.Sink?.OnNotified(Id, c.Key, bytes);
            }
        }
    }

    private Task WriteAsync(BleCharacteristic c, byte[] value, bool withResponse, CancellationToken cancellationToken)
    {
        if (withResponse ? !c.CanWrite : !c.CanWriteWithoutResponse)
            throw new IoTException(ErrorCode.Unsupported, $"key '{c.Key}' of '{Id}' cannot be written {(withResponse ? "with" : "without")} response");
        var options = new Dictionary<string, object>(StringComparer.Ordinal) { ["type"] = withResponse ? "request" : "command" };
        return _station.CallAsync($"write '{c.Key}' of '{Id}'", () => c.Proxy.WriteValueAsync(value, options), cancellationToken);
    }

    private async Task<TimeReply> WriteClockAsync(bool sync, CancellationToken cancellationToken)
    {
        var reply = await LockedAsync(async () =>
        {
            RequireReady();
            var c = FindByUuid(GattNames.CurrentTime, GattNames.CurrentTimeService)
                ?? throw new IoTException(ErrorCode.Unsupported, $"'{Id}' has no Current Time Service (0x1805, characteristic 0x2A2B)");
            if (!c.CanWrite) throw new IoTException(ErrorCode.Unsupported, $"the Current Time of '{Id}' cannot be written");
            if (sync && !c.CanRead) throw new IoTException(ErrorCode.Unsupported, $"the Current Time of '{Id}' cannot be read to compare it");
            var zone = _station.Options.DeviceTimeZone;
            double offset = 0;
            if (c.CanRead)
            {
                var before = _station.Time.GetUtcNow();
                var bytes = await _station.CallAsync($"read the clock of '{Id}'", () => c.Proxy.ReadValueAsync(NoOptions), cancellationToken).ConfigureAwait(false);
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
            return operation(RequireKey(key));
        }, cancellationToken);

    private async Task<T> LockedAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        await _gatt.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await operation().ConfigureAwait(false); }
        finally { _gatt.Release(); }
    }

    private void RequireReady(string? key = null)
    {
        lock (_lock)
        {
            if (_ready) return;
            if (key is not null && _keys.Count > 0 && !_keys.Contains(key) && FindKeyByUuid(key) is null)
                throw new IoTException(ErrorCode.UnknownKey, $"device '{Id}' has no key '{key}'");
        }
        throw new IoTException(ErrorCode.NotConnected, $"device '{Id}' is not connected");
    }

    private BleCharacteristic RequireKey(string key)
    {
        lock (_lock)
        {
            if (_characteristics.TryGetValue(key, out var c)) return c;
            if (FindKeyByUuid(key) is { } byUuid) return _characteristics[byUuid];
        }
        throw new IoTException(ErrorCode.UnknownKey, $"device '{Id}' has no key '{key}'");
    }

    /// <summary>A key may also be given as its characteristic's UUID (16-bit or 128-bit).</summary>
    private string? FindKeyByUuid(string key) =>
        GattNames.TryParseUuid(key, out var uuid) ? _characteristics.Values.FirstOrDefault(c => c.Uuid == uuid)?.Key : null;

    private BleCharacteristic? FindByUuid(string uuid, string? serviceUuid = null)
    {
        lock (_lock) return _characteristics.Values.FirstOrDefault(c => c.Uuid == uuid && (serviceUuid is null || c.ServiceUuid == serviceUuid));
    }

    /// <summary>Keys from the GATT objects under the device; a UUID present twice gets its object name appended.</summary>
    private void SetCharacteristics(List<BleCharacteristic> found)
    {
        foreach (var group in found.GroupBy(c => GattNames.Friendly(c.Uuid) ?? c.Uuid, StringComparer.Ordinal))
        {
            var list = group.ToList();
            foreach (var c in list) c.Key = list.Count == 1 ? group.Key : $"{group.Key}@{c.Path[(c.Path.LastIndexOf('/') + 1)..]}";
        }
        _characteristics = found.ToDictionary(c => c.Key, StringComparer.Ordinal);
        _keys = [.. found.Select(c => c.Key)];
    }

    private static TaskCompletionSource NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task LockedAsync(Func<Task<bool>> operation, CancellationToken cancellationToken) =>
        await LockedAsync<bool>(operation, cancellationToken).ConfigureAwait(false);

    [LoggerMessage(EventId = 2300, Level = LogLevel.Information, Message = "BLE device '{Device}' connected, {Keys} characteristics")]
    private partial void LogConnected(string device, int keys);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "BLE device '{Device}' disconnected ({How})")]
    private partial void LogDisconnected(string device, string how);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Connecting '{Device}' failed (attempt {Attempt}), trying again: {Error}")]
    private partial void LogConnectRetry(string device, int attempt, string error);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Information, Message = "BLE device '{Device}' reconnected after {Attempts} attempt(s)")]
    private partial void LogReconnected(string device, int attempts);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "Reconnecting '{Device}' failed (attempt {Attempt} of {Max}): {Error}")]
    private partial void LogReconnectFailed(string device, int attempt, int max, string error);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Warning, Message = "Gave up reconnecting '{Device}' after {Attempts} attempts")]
    private partial void LogReconnectGaveUp(string device, int attempts);

    [LoggerMessage(EventId = 2306, Level = LogLevel.Information, Message = "Turned {Count} notification(s) of '{Device}' back on after reconnecting")]
    private partial void LogNotificationsRestored(string device, int count);

    [LoggerMessage(EventId = 2307, Level = LogLevel.Warning, Message = "'{Device}' no longer has key '{Key}' after reconnecting; its notifications stay off")]
    private partial void LogNotifyKeyGone(string device, string key);

    [LoggerMessage(EventId = 2308, Level = LogLevel.Warning, Message = "'{Device}' does not know its time (Current Time {Bytes}); offset reported as 0")]
    private partial void LogClockUnknown(string device, string bytes);
}
