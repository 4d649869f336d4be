using System.Text.Json.Nodes;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>An event a station emitted.</summary>
/// <param name="Type">What happened.</param>
/// <param name="Station">The station.</param>
/// <param name="Device">The device, for DEVICE_* events.</param>
/// <param name="Timestamp">When the gateway saw it.</param>
/// <param name="Data">Type-specific data.</param>
public sealed record StationEvent(StationEventType Type, string Station, string? Device, DateTimeOffset Timestamp, JsonObject? Data);
