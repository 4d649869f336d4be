using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa;

/// <summary>A monitored item as the server created it.</summary>
/// <param name="ClientHandle">Our handle, carried by each of its notifications.</param>
/// <param name="MonitoredItemId">The server's id, 0 when creation failed.</param>
/// <param name="ItemToMonitor">What it watches.</param>
/// <param name="StatusCode">Good, or why the server refused it.</param>
/// <param name="RevisedSamplingIntervalMs">The sampling interval granted.</param>
public sealed record MonitoredItem(uint ClientHandle, uint MonitoredItemId, ReadValueId ItemToMonitor, StatusCode StatusCode, double RevisedSamplingIntervalMs);
