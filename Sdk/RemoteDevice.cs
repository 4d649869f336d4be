using System.Text;
using System.Text.Json;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>A device of a station, reached through the gateway that serves the station: every device request of the contract.</summary>
public sealed class RemoteDevice
{
    private readonly IoTHubClient _client;

    internal RemoteDevice(IoTHubClient client, string station, string device)
    {
        ArgumentException.ThrowIfNullOrEmpty(station);
        ArgumentException.ThrowIfNullOrEmpty(device);
        _client = client;
        Station = station;
        Id = device;
    }

    /// <summary>The device id, unique within its station.</summary>
    public string Id { get; }

    /// <summary>The station that holds the device.</summary>
    public string Station { get; }

    /// <summary>Asks the station to connect this device.</summary>
    public Task ConnectAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _client.GetStation(Station).ConnectDeviceAsync(Id, timeout, cancellationToken);

    /// <summary>Disconnects the device from its station.</summary>
    public Task DisconnectAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => SendAsync(DeviceRequestType.Disconnect, null, timeout, cancellationToken);

    /// <summary>Sets the device's clock to the gateway's time.</summary>
    public async Task<TimeReply> SetTimeAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(DeviceRequestType.SetTime, null, timeout, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.TimeReply)!;

    /// <summary>Compares the device's clock with the gateway's.</summary>
    public async Task<TimeReply> SyncTimeAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(DeviceRequestType.SyncTime, null, timeout, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.TimeReply)!;

    /// <summary>Reads the bytes under a key.</summary>
    public async Task<byte[]> ReadValueAsync(string key, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var data = await SendAsync(DeviceRequestType.ReadValue, new RequestBody { Key = key }, timeout, cancellationToken).ConfigureAwait(false);
        var reply = data.Deserialize(ContractJson.Default.ValueReply)!;
        return ValueCodec.TryFromHex(reply.Value, out var bytes)
            ? bytes
            : throw new IoTException(ErrorCode.Internal, $"the reply's value '{reply.Value}' is not hex");
    }

    /// <summary>Writes bytes under a key and returns how many were written.</summary>
    public async Task<int> WriteValueAsync(string key, ReadOnlyMemory<byte> value, bool withResponse = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var body = new RequestBody { Key = key, Value = ValueCodec.ToHex(value.Span), WithResponse = withResponse };
        var data = await SendAsync(DeviceRequestType.WriteValue, body, timeout, cancellationToken).ConfigureAwait(false);
        return data.Deserialize(ContractJson.Default.WriteReply)!.Written;
    }

    /// <summary>Writes UTF-8 text under a key and returns how many bytes were written.</summary>
    public Task<int> WriteTextAsync(string key, string text, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WriteValueAsync(key, Encoding.UTF8.GetBytes(text), true, timeout, cancellationToken);

    /// <summary>Turns notifications on for a key.</summary>
    public Task EnableNotificationsAsync(string key, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendAsync(DeviceRequestType.StartNotify, new RequestBody { Key = key }, timeout, cancellationToken);

    /// <summary>Turns notifications off for a key.</summary>
    public Task DisableNotificationsAsync(string key, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendAsync(DeviceRequestType.StopNotify, new RequestBody { Key = key }, timeout, cancellationToken);

    /// <summary>Resets the device to its defaults.</summary>
    public Task ResetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => SendAsync(DeviceRequestType.Reset, null, timeout, cancellationToken);

    /// <summary>Subscribes to this device's events, of one type when given.</summary>
    public Task<EventSubscription<DeviceEvent>> SubscribeToEventsAsync(DeviceEventType? type = null, CancellationToken cancellationToken = default) =>
        _client.SubscribeDeviceEventsAsync(Station, Id, type, null, cancellationToken);

    /// <summary>Watches this device's retained props and availability: the current state first, then each change.</summary>
    public Task<EventSubscription<DeviceState>> WatchAsync(CancellationToken cancellationToken = default) =>
        _client.WatchDevicesAsync(Station, Id, cancellationToken);

    /// <summary>Subscribes to the notifications of one key; each event's <see cref="DeviceEvent.Value"/> holds the bytes.</summary>
    public Task<EventSubscription<DeviceEvent>> SubscribeToNotificationsAsync(string key, CancellationToken cancellationToken = default) =>
        _client.SubscribeDeviceEventsAsync(Station, Id, DeviceEventType.Notified, key, cancellationToken);

    /// <summary>
    /// Asks the hub which station holds a device of this id now (by id alone: it may have moved from <see cref="Station"/>).
    /// To start from an id alone, use <see cref="IoTHubClient.LocateDeviceAsync"/>.
    /// </summary>
    /// <exception cref="IoTException"><see cref="ErrorCode.UnknownDevice"/> when the hub has no record of it; <see cref="ErrorCode.BadRequest"/>
    /// when several stations hold the id; <see cref="ErrorCode.Unavailable"/> when no hub runs.</exception>
    public async Task<string> LocateAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await _client.GetDeviceAsync(Id, null, timeout, cancellationToken).ConfigureAwait(false)).Station
            ?? throw new IoTException(ErrorCode.UnknownStation, $"the hub knows device '{Id}' but not which station holds it");

    /// <summary>The hub's record of this device on its station (props, online or stale, last notified values).</summary>
    public Task<DeviceRecord> GetHubRecordAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => _client.GetDeviceAsync(Id, Station, timeout, cancellationToken);

    private Task<JsonElement> SendAsync(DeviceRequestType type, RequestBody? body, TimeSpan? timeout, CancellationToken cancellationToken) =>
        _client.DeviceRequestAsync(Station, Id, type, body, timeout, cancellationToken);
}
