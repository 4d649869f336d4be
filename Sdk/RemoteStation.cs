using System.Text.Json;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>A station reached through the broker: every station request and query of the contract.</summary>
public sealed class RemoteStation
{
    private readonly IoTHubClient _client;

    internal RemoteStation(IoTHubClient client, string station)
    {
        ArgumentException.ThrowIfNullOrEmpty(station);
        _client = client;
        Id = station;
    }

    /// <summary>The station id.</summary>
    public string Id { get; }

    /// <summary>A device of this station.</summary>
    public RemoteDevice GetDevice(string device) => _client.GetDevice(Id, device);

    /// <summary>Subscribes to the events of every device of this station, of one type when given.</summary>
    public Task<EventSubscription<DeviceEvent>> SubscribeToDeviceEventsAsync(DeviceEventType? type = null, CancellationToken cancellationToken = default) =>
        _client.SubscribeDeviceEventsAsync(Id, null, type, null, cancellationToken);

    /// <summary>Watches this station's retained props and availability: the current state first, then each change.</summary>
    public Task<EventSubscription<StationState>> WatchAsync(CancellationToken cancellationToken = default) =>
        _client.WatchStationsAsync(Id, cancellationToken);

    /// <summary>Watches the retained props and availability of every device of this station.</summary>
    public Task<EventSubscription<DeviceState>> WatchDevicesAsync(CancellationToken cancellationToken = default) =>
        _client.WatchDevicesAsync(Id, null, cancellationToken);

    /// <summary>Subscribes to this station's events, of one type when given.</summary>
    public Task<EventSubscription<StationEvent>> SubscribeToEventsAsync(StationEventType? type = null, CancellationToken cancellationToken = default) =>
        _client.SubscribeStationEventsAsync(Id, type, cancellationToken);

    /// <summary>The station's props.</summary>
    public async Task<StationProps> GetPropsAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await QueryAsync(StationQueryType.GetProps, null, timeout, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.StationProps)!;

    /// <summary>Ids of every device the station knows, connected or not.</summary>
    public Task<IReadOnlyList<string>> ListKnownDevicesAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => ListAsync(StationQueryType.ListKnownDevices, timeout, cancellationToken);
    /// <summary>Ids of the connected devices.</summary>
    public Task<IReadOnlyList<string>> ListConnectedDevicesAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => ListAsync(StationQueryType.ListConnectedDevices, timeout, cancellationToken);
    /// <summary>Ids of the discovered devices that are not connected.</summary>
    public Task<IReadOnlyList<string>> ListDiscoveredDevicesAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => ListAsync(StationQueryType.ListDiscoveredDevices, timeout, cancellationToken);

    /// <summary>Props of every device the station knows, by id.</summary>
    public Task<IReadOnlyDictionary<string, DeviceProps>> GetKnownDevicesAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => MapAsync(StationQueryType.GetKnownDevices, timeout, cancellationToken);
    /// <summary>Props of the connected devices, by id.</summary>
    public Task<IReadOnlyDictionary<string, DeviceProps>> GetConnectedDevicesAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => MapAsync(StationQueryType.GetConnectedDevices, timeout, cancellationToken);
    /// <summary>Props of the discovered devices that are not connected, by id.</summary>
    public Task<IReadOnlyDictionary<string, DeviceProps>> GetDiscoveredDevicesAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => MapAsync(StationQueryType.GetDiscoveredDevices, timeout, cancellationToken);

    /// <summary>One device's props, as this station holds them.</summary>
    public async Task<DeviceProps> GetDevicePropsAsync(string device, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await QueryAsync(StationQueryType.GetDeviceProps, new RequestBody { Device = device }, timeout, cancellationToken).ConfigureAwait(false))
            .Deserialize(ContractJson.Default.DeviceProps)!;

    /// <summary>One device's keys.</summary>
    public async Task<IReadOnlyList<string>> GetDeviceKeysAsync(string device, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await QueryAsync(StationQueryType.GetDeviceKeys, new RequestBody { Device = device }, timeout, cancellationToken).ConfigureAwait(false))
            .Deserialize(ContractJson.Default.ListString)!;

    /// <summary>
    /// Reads the station's recent events from its outbox (GET_EVENTS): those with a seq above <paramref name="after"/>
    /// (default: from the oldest held), at most <paramref name="limit"/> (default 100, at most 1,000), of the given
    /// event types' wire names only when <paramref name="types"/> is given. Throws <see cref="IoTException"/> with
    /// <see cref="ErrorCode.OutOfRange"/> when the events after <paramref name="after"/> are older than the outbox holds.
    /// </summary>
    public async Task<EventPage> GetEventsAsync(long? after = null, int? limit = null, IReadOnlyList<string>? types = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var body = new RequestBody { After = after, Limit = limit, Types = types?.ToArray() };
        var reply = (await QueryAsync(StationQueryType.GetEvents, body, timeout, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.EventsReply)!;
        return new EventPage(reply.Events, reply.Next, reply.First, reply.Last);
    }

    /// <summary>Starts the station.</summary>
    public Task StartAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.Start, null, timeout, cancellationToken);
    /// <summary>Stops the station.</summary>
    public Task StopAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.Stop, null, timeout, cancellationToken);
    /// <summary>Connects a device.</summary>
    public Task ConnectDeviceAsync(string device, TimeSpan? timeout = null, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.Connect, new RequestBody { Device = device }, timeout, cancellationToken);
    /// <summary>Disconnects a device.</summary>
    public Task DisconnectDeviceAsync(string device, TimeSpan? timeout = null, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.Disconnect, new RequestBody { Device = device }, timeout, cancellationToken);
    /// <summary>Starts a discovery scan.</summary>
    public Task StartDiscoveryAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.StartDiscovery, null, timeout, cancellationToken);
    /// <summary>Stops the discovery scan.</summary>
    public Task StopDiscoveryAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.StopDiscovery, null, timeout, cancellationToken);
    /// <summary>Allows discovery.</summary>
    public Task EnableDiscoveryAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.EnableDiscovery, null, timeout, cancellationToken);
    /// <summary>Forbids discovery.</summary>
    public Task DisableDiscoveryAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.DisableDiscovery, null, timeout, cancellationToken);

    private Task<JsonElement> QueryAsync(StationQueryType type, RequestBody? body, TimeSpan? timeout, CancellationToken cancellationToken) =>
        _client.StationQueryAsync(Id, type, body, timeout, cancellationToken);

    private Task RequestAsync(StationRequestType type, RequestBody? body, TimeSpan? timeout, CancellationToken cancellationToken) =>
        _client.StationRequestAsync(Id, type, body, timeout, cancellationToken);

    private async Task<IReadOnlyList<string>> ListAsync(StationQueryType type, TimeSpan? timeout, CancellationToken cancellationToken) =>
        (await QueryAsync(type, null, timeout, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.ListString)!;

    private async Task<IReadOnlyDictionary<string, DeviceProps>> MapAsync(StationQueryType type, TimeSpan? timeout, CancellationToken cancellationToken) =>
        (await QueryAsync(type, null, timeout, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.DictionaryStringDeviceProps)!;
}
