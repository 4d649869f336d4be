using System.Text.Json.Nodes;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>An event a device emitted.</summary>
/// <param name="Type">What happened.</param>
/// <param name="Device">The device.</param>
/// <param name="Station">The station holding it.</param>
/// <param name="Key">The key, for NOTIFIED, NOTIFY_STARTED and NOTIFY_STOPPED.</param>
/// <param name="Value">The new bytes, for NOTIFIED.</param>
/// <param name="Timestamp">When the gateway saw it.</param>
/// <param name="Data">Type-specific data.</param>
public sealed record DeviceEvent(DeviceEventType Type, string Device, string Station, string? Key, byte[]? Value,
    DateTimeOffset Timestamp, JsonObject? Data);
