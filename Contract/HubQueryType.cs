using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>Queries the hub answers from its index of every station and device.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HubQueryType>))]
public enum HubQueryType
{
    /// <summary>Ids of devices, paged.</summary>
    [JsonStringEnumMemberName("LIST_DEVICES")] ListDevices,
    /// <summary>Ids of stations, paged.</summary>
    [JsonStringEnumMemberName("LIST_STATIONS")] ListStations,
    /// <summary>Devices whose record matches a filter.</summary>
    [JsonStringEnumMemberName("FIND_DEVICES")] FindDevices,
    /// <summary>Stations whose record matches a filter.</summary>
    [JsonStringEnumMemberName("FIND_STATIONS")] FindStations,
    /// <summary>One device's record.</summary>
    [JsonStringEnumMemberName("GET_DEVICE")] GetDevice,
    /// <summary>One station's record.</summary>
    [JsonStringEnumMemberName("GET_STATION")] GetStation,
}
