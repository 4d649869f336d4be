using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.Simulated;

/// <summary>
/// A simulated thermostat. Keys: <c>temperature</c> (read, notify), <c>counter</c> (read, notify),
/// <c>setpoint</c> (read, write, notify; a number 5..35 as text), <c>clock</c> (read; ISO 8601, drifts),
/// <c>config</c> (read, write; up to 512 raw bytes). Values are UTF-8 text except <c>config</c>.
/// </summary>
public sealed class SimulatedDevice : IDeviceBackend
{
    /// <summary>Keys of every simulated device.</summary>
    public static readonly IReadOnlyList<string> Keys = ["temperature", "counter", "setpoint", "clock", "config"];
    private static readonly HashSet<string> Notifiable = ["temperature", "counter", "setpoint"];
    private static readonly HashSet<string> Writable = ["setpoint", "config"];
    private static readonly byte[] DefaultSetpoint = "20.0"u8.ToArray();
    private static readonly byte[] DefaultConfig = [0x01, 0x02, 0x03, 0x04];
    private const int MaxValueLength = 512;

    private readonly SimulatedStation _station;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _notifying = new(StringComparer.Ordinal);
    private double _temperature;
    private long _counter;
    private byte[] _setpoint = DefaultSetpoint;
    private byte[] _config = DefaultConfig;
    private TimeSpan _clockOffset;

    internal SimulatedDevice(SimulatedStation station, string id, int index, Random random)
    {
        _station = station;
        Id = id;
        Index = index;
        _temperature = Math.Round(18 + random.NextDouble() * 6, 2);
        _clockOffset = TimeSpan.FromMilliseconds(random.Next(-5000, 5000));
    }

    /// <inheritdoc />
    public string Id { get; }

    internal int Index { get; }

    internal bool Connected { get; set; }

    /// <summary>Gone for good (<see cref="SimulatedStation.RemoveDevice"/>): no longer known, never revealed again.</summary>
    internal bool Removed { get; set; }

    /// <summary>How many writes were applied; tests use it to see that an expired request was not executed.</summary>
    public int AppliedWrites { get; private set; }

    /// <inheritdoc />
    public DeviceProps GetProps() => new()
    {
        Id = Id,
        Station = _station.Id,
        Name = $"Thermostat {Index:D4}",
        Connected = Connected,
        Keys = Keys,
        Attributes = new JsonObject { ["model"] = "sim-thermostat", ["firmware"] = "1.2.0", ["index"] = Index },
    };

    /// <inheritdoc />
    public IReadOnlyList<string> GetKeys() => Keys;

    /// <inheritdoc />
    public Task DisconnectAsync(CancellationToken cancellationToken) => _station.DisconnectAsync(Id, cancellationToken);

    /// <inheritdoc />
    public async Task<TimeReply> SetTimeAsync(CancellationToken cancellationToken)
    {
        await _station.OperateAsync(this, null, cancellationToken).ConfigureAwait(false);
        var reply = ResetClock();
        _station.Sink?.OnDeviceEvent(Id, DeviceEventType.TimeSet, data: TimeData(reply));
        return reply;
    }

    /// <inheritdoc />
    public async Task<TimeReply> SyncTimeAsync(CancellationToken cancellationToken)
    {
        await _station.OperateAsync(this, null, cancellationToken).ConfigureAwait(false);
        var reply = ResetClock();
        _station.Sink?.OnDeviceEvent(Id, DeviceEventType.TimeSynced, data: TimeData(reply));
        return reply;
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadValueAsync(string key, CancellationToken cancellationToken)
    {
        RequireKey(key);
        await _station.OperateAsync(this, key, cancellationToken).ConfigureAwait(false);
        lock (_lock) return Current(key);
    }

    /// <inheritdoc />
    public async Task<int> WriteValueAsync(string key, ReadOnlyMemory<byte> value, bool withResponse, CancellationToken cancellationToken)
    {
        RequireKey(key);
        if (!Writable.Contains(key)) throw new IoTException(ErrorCode.Unsupported, $"key '{key}' is read-only");
        if (value.Length > MaxValueLength) throw new IoTException(ErrorCode.BadRequest, $"at most {MaxValueLength} bytes fit under '{key}'");
        if (key == "setpoint") ValidateSetpoint(value.Span);
        await _station.OperateAsync(this, key, cancellationToken).ConfigureAwait(false);
        bool notify;
        lock (_lock)
        {
            if (key == "setpoint") _setpoint = value.ToArray(); else _config = value.ToArray();
            AppliedWrites++;
            notify = _notifying.Contains(key);
        }
        if (notify) _station.Sink?.OnNotified(Id, key, value.ToArray());
        return value.Length;
    }

    /// <inheritdoc />
    public async Task EnableNotificationsAsync(string key, CancellationToken cancellationToken)
    {
        RequireKey(key);
        if (!Notifiable.Contains(key)) throw new IoTException(ErrorCode.Unsupported, $"key '{key}' does not notify");
        await _station.OperateAsync(this, key, cancellationToken).ConfigureAwait(false);
        lock (_lock) _notifying.Add(key);
        _station.Sink?.OnDeviceEvent(Id, DeviceEventType.NotifyStarted, key);
    }

    /// <inheritdoc />
    public async Task DisableNotificationsAsync(string key, CancellationToken cancellationToken)
    {
        RequireKey(key);
        await _station.OperateAsync(this, key, cancellationToken).ConfigureAwait(false);
        bool removed;
        lock (_lock) removed = _notifying.Remove(key);
        if (removed) _station.Sink?.OnDeviceEvent(Id, DeviceEventType.NotifyStopped, key);
    }

    /// <inheritdoc />
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        await _station.OperateAsync(this, null, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _setpoint = DefaultSetpoint;
            _config = DefaultConfig;
            _counter = 0;
        }
    }

    /// <summary>One notification period: temperature walks, the counter counts, watched keys notify.</summary>
    internal void Tick(Random random)
    {
        byte[]? temperature = null, counter = null;
        lock (_lock)
        {
            _temperature = Math.Round(Math.Clamp(_temperature + (random.NextDouble() - 0.5) * 0.4, -20, 60), 2);
            _counter++;
            if (_notifying.Contains("temperature")) temperature = Current("temperature");
            if (_notifying.Contains("counter")) counter = Current("counter");
        }
        if (temperature is not null) _station.Sink?.OnNotified(Id, "temperature", temperature);
        if (counter is not null) _station.Sink?.OnNotified(Id, "counter", counter);
    }

    internal bool IsNotifying
    {
        get { lock (_lock) return _notifying.Count > 0 && _notifying.Overlaps(["temperature", "counter"]); }
    }

    internal void StartNotifyingNow(string key)
    {
        lock (_lock) _notifying.Add(key);
    }

    internal void ClearNotifications()
    {
        lock (_lock) _notifying.Clear();
    }

    private byte[] Current(string key) => key switch
    {
        "temperature" => Encoding.UTF8.GetBytes(_temperature.ToString("0.00", CultureInfo.InvariantCulture)),
        "counter" => Encoding.UTF8.GetBytes(_counter.ToString(CultureInfo.InvariantCulture)),
        "setpoint" => _setpoint,
        "clock" => Encoding.UTF8.GetBytes((_station.Time.GetUtcNow() + _clockOffset).ToString("O", CultureInfo.InvariantCulture)),
        "config" => _config,
        _ => throw new IoTException(ErrorCode.UnknownKey, $"device '{Id}' has no key '{key}'"),
    };

    private TimeReply ResetClock()
    {
        lock (_lock)
        {
            var offset = _clockOffset;
            _clockOffset = TimeSpan.Zero;
            return new TimeReply(_station.Time.GetUtcNow(), offset.TotalMilliseconds);
        }
    }

    private static JsonObject TimeData(TimeReply reply) =>
        new() { ["deviceTime"] = reply.DeviceTime, ["offsetMs"] = reply.OffsetMs };

    private void RequireKey(string key)
    {
        if (!Keys.Contains(key)) throw new IoTException(ErrorCode.UnknownKey, $"device '{Id}' has no key '{key}'");
    }

    private static void ValidateSetpoint(ReadOnlySpan<byte> value)
    {
        if (!double.TryParse(Encoding.UTF8.GetString(value), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v is < 5 or > 35)
            throw new IoTException(ErrorCode.BadRequest, "setpoint must be a number from 5 to 35, as text (e.g. \"21.5\")");
    }
}
