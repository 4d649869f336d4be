using System.Text.Json.Serialization;

namespace MqttIoT.Sdk.Contract;

/// <summary>Every event a device emits. The wire name of each member is its topic segment.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeviceEventType>))]
public enum DeviceEventType
{
    /// <summary>The device is connected to its station.</summary>
    [JsonStringEnumMemberName("CONNECTED")] Connected,
    /// <summary>The device is no longer connected.</summary>
    [JsonStringEnumMemberName("DISCONNECTED")] Disconnected,
    /// <summary>The device's clock was set.</summary>
    [JsonStringEnumMemberName("TIME_SET")] TimeSet,
    /// <summary>The device's clock was compared with the gateway's. The seed names this one <c>SYNCED</c> on the wire.</summary>
    [JsonStringEnumMemberName("SYNCED")] TimeSynced,
    /// <summary>A watched key has a new value. Its topic ends with the key.</summary>
    [JsonStringEnumMemberName("NOTIFIED")] Notified,
    /// <summary>Notifications were turned on for a key.</summary>
    [JsonStringEnumMemberName("NOTIFY_STARTED")] NotifyStarted,
    /// <summary>Notifications were turned off for a key.</summary>
    [JsonStringEnumMemberName("NOTIFY_STOPPED")] NotifyStopped,
    /// <summary>The device's props changed; the new props are retained on its props topic.</summary>
    [JsonStringEnumMemberName("PROPS_CHANGED")] PropsChanged,
}
