using System.Text.Json.Nodes;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends;

/// <summary>
/// Where a backend reports what happens. Implementations queue and return at once, so a backend may call
/// them from any thread, timers and D-Bus signal handlers included. The gateway turns these calls into events
/// and retained props; a backend never publishes itself.
/// </summary>
public interface IBackendEventSink
{
    /// <summary>A station event; <paramref name="device"/> for the DEVICE_* types. PROPS_CHANGED only asks for a props refresh.</summary>
    void OnStationEvent(StationEventType type, string? device = null, JsonObject? data = null);

    /// <summary>A device event other than NOTIFIED. PROPS_CHANGED only asks for a props refresh.</summary>
    void OnDeviceEvent(string device, DeviceEventType type, string? key = null, JsonObject? data = null);

    /// <summary>A watched key has a new value. <paramref name="extra"/> adds backend facts (data type, timestamp, status).</summary>
    void OnNotified(string device, string key, ReadOnlyMemory<byte> value, JsonObject? extra = null);

    /// <summary>The device is gone for good; its retained props are cleared.</summary>
    void OnDeviceRemoved(string device);
}
