using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>Requests a device answers.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeviceRequestType>))]
public enum DeviceRequestType
{
    /// <summary>Reset the device to its defaults.</summary>
    [JsonStringEnumMemberName("RESET")] Reset,
    /// <summary>Disconnect the device from its station.</summary>
    [JsonStringEnumMemberName("DISCONNECT")] Disconnect,
    /// <summary>Turn notifications on for a key.</summary>
    [JsonStringEnumMemberName("START_NOTIFY")] StartNotify,
    /// <summary>Turn notifications off for a key.</summary>
    [JsonStringEnumMemberName("STOP_NOTIFY")] StopNotify,
    /// <summary>Set the device's clock to the gateway's time.</summary>
    [JsonStringEnumMemberName("SET_TIME")] SetTime,
    /// <summary>Compare the device's clock with the gateway's and report the offset.</summary>
    [JsonStringEnumMemberName("SYNC_TIME")] SyncTime,
    /// <summary>Read the bytes under a key.</summary>
    [JsonStringEnumMemberName("READ_VALUE")] ReadValue,
    /// <summary>Write bytes under a key.</summary>
    [JsonStringEnumMemberName("WRITE_VALUE")] WriteValue,
}
