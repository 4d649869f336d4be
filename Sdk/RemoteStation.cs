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

    /// <summary>Subscribes to this station's events, of one type when given.</summary>
    public Task<EventSubscription<StationEvent>> SubscribeToEventsAsync(StationEventType? type = null, CancellationToken cancellationToken = default) =>
        _client.SubscribeStationEventsAsync(Id, type, cancellationToken);

    /// <summary>The station's props.</summary>
    public async Task<StationProps> GetPropsAsync(CancellationToken cancellationToken = default) =>
        (await QueryAsync(StationQueryType.GetProps, null, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.StationProps)!;

    /// <summary>Ids of every device the station knows, connected or not.</summary>
    public Task<IReadOnlyList<string>> ListKnownDevicesAsync(CancellationToken cancellationToken = default) => ListAsync(StationQueryType.ListKnownDevices, cancellationToken);
    /// <summary>Ids of the connected devices.</summary>
    public Task<IReadOnlyList<string>> ListConnectedDevicesAsync(CancellationToken cancellationToken = default) => ListAsync(StationQueryType.ListConnectedDevices, cancellationToken);
    /// <summary>Ids of the discovered devices that are not connected.</summary>
    public Task<IReadOnlyList<string>> ListDiscoveredDevicesAsync(CancellationToken cancellationToken = default) => ListAsync(StationQueryType.ListDiscoveredDevices, cancellationToken);

    /// <summary>Props of every device the station knows, by id.</summary>
    public Task<IReadOnlyDictionary<string, DeviceProps>> GetKnownDevicesAsync(CancellationToken cancellationToken = default) => MapAsync(StationQueryType.GetKnownDevices, cancellationToken);
    /// <summary>Props of the connected devices, by id.</summary>
    public Task<IReadOnlyDictionary<string, DeviceProps>> GetConnectedDevicesAsync(CancellationToken cancellationToken = default) => MapAsync(StationQueryType.GetConnectedDevices, cancellationToken);
    /// <summary>Props of the discovered devices that are not connected, by id.</summary>
    public Task<IReadOnlyDictionary<string, DeviceProps>> GetDiscoveredDevicesAsync(CancellationToken cancellationToken = default) => MapAsync(StationQueryType.GetDiscoveredDevices, cancellationToken);

    /// <summary>One device's props, as this station holds them.</summary>
    public async Task<DeviceProps> GetDevicePropsAsync(string device, CancellationToken cancellationToken = default) =>
        (await QueryAsync(StationQueryType.GetDeviceProps, new RequestBody { Device = device }, cancellationToken).ConfigureAwait(false))
            .Deserialize(ContractJson.Default.DeviceProps)!;

    /// <summary>One device's keys.</summary>
    public async Task<IReadOnlyList<string>> GetDeviceKeysAsync(string device, CancellationToken cancellationToken = default) =>
        (await QueryAsync(StationQueryType.GetDeviceKeys, new RequestBody { Device = device }, cancellationToken).ConfigureAwait(false))
            .Deserialize(ContractJson.Default.ListString)!;

    /// <summary>Starts the station.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.Start, null, cancellationToken);
    /// <summary>Stops the station.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.Stop, null, cancellationToken);
    /// <summary>Connects a device.</summary>
    public Task ConnectDeviceAsync(string device, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.Connect, new RequestBody { Device = device }, cancellationToken);
    /// <summary>Disconnects a device.</summary>
    public Task DisconnectDeviceAsync(string device, CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.Disconnect, new RequestBody { Device = device }, cancellationToken);
    /// <summary>Starts a discovery scan.</summary>
    public Task StartDiscoveryAsync(CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.StartDiscovery, null, cancellationToken);
    /// <summary>Stops the discovery scan.</summary>
    public Task StopDiscoveryAsync(CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.StopDiscovery, null, cancellationToken);
    /// <summary>Allows discovery.</summary>
    public Task EnableDiscoveryAsync(CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.EnableDiscovery, null, cancellationToken);
    /// <summary>Forbids discovery.</summary>
    public Task DisableDiscoveryAsync(CancellationToken cancellationToken = default) => RequestAsync(StationRequestType.DisableDiscovery, null, cancellationToken);

    private Task<JsonElement> QueryAsync(StationQueryType type, RequestBody? body, CancellationToken cancellationToken) =>
        _client.StationQueryAsync(Id, type, body, null, cancellationToken);

    private Task RequestAsync(StationRequestType type, RequestBody? body, CancellationToken cancellationToken) =>
        _client.StationRequestAsync(Id, type, body, null, cancellationToken);

    private async Task<IReadOnlyList<string>> ListAsync(StationQueryType type, CancellationToken cancellationToken) =>
        (await QueryAsync(type, null, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.ListString)!;

    private async Task<IReadOnlyDictionary<string, DeviceProps>> MapAsync(StationQueryType type, CancellationToken cancellationToken) =>
        (await QueryAsync(type, null, cancellationToken).ConfigureAwait(false)).Deserialize(ContractJson.Default.DictionaryStringDeviceProps)!;
}
