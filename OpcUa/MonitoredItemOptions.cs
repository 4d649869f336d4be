using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa;

/// <summary>An attribute to watch for data changes (OPC 10000-4 §5.12.2).</summary>
/// <param name="ItemToMonitor">The node and attribute (Value by default).</param>
public sealed record MonitoredItemOptions(ReadValueId ItemToMonitor)
{
    /// <summary>How often the server samples; negative means the publishing interval.</summary>
    public double SamplingIntervalMs { get; init; } = -1;

    /// <summary>Changes the server queues between publishes.</summary>
    public uint QueueSize { get; init; } = 10;

    /// <summary>Which end of a full queue is dropped.</summary>
    public bool DiscardOldest { get; init; } = true;
}
