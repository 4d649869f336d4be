using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>Queries a station answers without changing anything.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StationQueryType>))]
public enum StationQueryType
{
    /// <summary>The station's props.</summary>
    [JsonStringEnumMemberName("GET_PROPS")] GetProps,
    /// <summary>Props of every known device (discovered or connected), by id.</summary>
    [JsonStringEnumMemberName("GET_KNOWN_DEVICES")] GetKnownDevices,
    /// <summary>Props of every connected device, by id.</summary>
    [JsonStringEnumMemberName("GET_CONNECTED_DEVICES")] GetConnectedDevices,
    /// <summary>Props of every discovered device that is not connected, by id.</summary>
    [JsonStringEnumMemberName("GET_DISCOVERED_DEVICES")] GetDiscoveredDevices,
    /// <summary>Ids of every known device.</summary>
    [JsonStringEnumMemberName("LIST_KNOWN_DEVICES")] ListKnownDevices,
    /// <summary>Ids of every connected device.</summary>
    [JsonStringEnumMemberName("LIST_CONNECTED_DEVICES")] ListConnectedDevices,
    /// <summary>Ids of every discovered device that is not connected.</summary>
    [JsonStringEnumMemberName("LIST_DISCOVERED_DEVICES")] ListDiscoveredDevices,
    /// <summary>One device's props (option <c>device</c>).</summary>
    [JsonStringEnumMemberName("GET_DEVICE_PROPS")] GetDeviceProps,
    /// <summary>One device's keys (option <c>device</c>).</summary>
    [JsonStringEnumMemberName("GET_DEVICE_KEYS")] GetDeviceKeys,
    /// <summary>Recent events from the station's outbox, in seq order (options <c>after</c>, <c>limit</c>, <c>types</c>).</summary>
    [JsonStringEnumMemberName("GET_EVENTS")] GetEvents,
}
