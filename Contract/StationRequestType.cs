using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>Requests a station answers.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StationRequestType>))]
public enum StationRequestType
{
    /// <summary>Start the station (power the adapter, open the endpoint).</summary>
    [JsonStringEnumMemberName("START")] Start,
    /// <summary>Stop the station; its devices are disconnected.</summary>
    [JsonStringEnumMemberName("STOP")] Stop,
    /// <summary>Connect a device (option <c>device</c>).</summary>
    [JsonStringEnumMemberName("CONNECT")] Connect,
    /// <summary>Disconnect a device (option <c>device</c>).</summary>
    [JsonStringEnumMemberName("DISCONNECT")] Disconnect,
    /// <summary>Start a discovery scan.</summary>
    [JsonStringEnumMemberName("START_DISCOVERY")] StartDiscovery,
    /// <summary>Stop the discovery scan.</summary>
    [JsonStringEnumMemberName("STOP_DISCOVERY")] StopDiscovery,
    /// <summary>Allow discovery.</summary>
    [JsonStringEnumMemberName("ENABLE_DISCOVERY")] EnableDiscovery,
    /// <summary>Forbid discovery (and stop a running scan).</summary>
    [JsonStringEnumMemberName("DISABLE_DISCOVERY")] DisableDiscovery,
}
