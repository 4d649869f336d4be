using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>Every event a station emits. The wire name of each member is its topic segment (topics.md, "Types").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StationEventType>))]
public enum StationEventType
{
    /// <summary>The station was started.</summary>
    [JsonStringEnumMemberName("STARTED")] Started,
    /// <summary>The station was stopped.</summary>
    [JsonStringEnumMemberName("STOPPED")] Stopped,
    /// <summary>Discovery may now be started.</summary>
    [JsonStringEnumMemberName("DISCOVERY_ENABLED")] DiscoveryEnabled,
    /// <summary>Discovery was disabled (and stopped if it ran).</summary>
    [JsonStringEnumMemberName("DISCOVERY_DISABLED")] DiscoveryDisabled,
    /// <summary>A discovery scan started.</summary>
    [JsonStringEnumMemberName("DISCOVERY_STARTED")] DiscoveryStarted,
    /// <summary>A discovery scan stopped.</summary>
    [JsonStringEnumMemberName("DISCOVERY_STOPPED")] DiscoveryStopped,
    /// <summary>A device was found; its id is in the event.</summary>
    [JsonStringEnumMemberName("DEVICE_DISCOVERED")] DeviceDiscovered,
    /// <summary>The station connected a device.</summary>
    [JsonStringEnumMemberName("DEVICE_CONNECTED")] DeviceConnected,
    /// <summary>A device was disconnected from the station.</summary>
    [JsonStringEnumMemberName("DEVICE_DISCONNECTED")] DeviceDisconnected,
    /// <summary>The station's props changed; the new props are retained on its props topic.</summary>
    [JsonStringEnumMemberName("PROPS_CHANGED")] PropsChanged,
}
