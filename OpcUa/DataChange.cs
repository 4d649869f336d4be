using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa;

/// <summary>A new value of a monitored item.</summary>
/// <param name="Item">The item.</param>
/// <param name="Value">The value, with status and timestamps.</param>
public sealed record DataChange(MonitoredItem Item, DataValue Value);
