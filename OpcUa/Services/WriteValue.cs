using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>A value to write to an attribute of a node (OPC 10000-4 §5.10.4).</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Value">The value; servers refuse timestamps and status on most variables, so leave those unset.</param>
/// <param name="AttributeId">The attribute, Value by default.</param>
/// <param name="IndexRange">A range of an array value, or null for all of it.</param>
public sealed record WriteValue(NodeId NodeId, DataValue Value, uint AttributeId = AttributeIds.Value, string? IndexRange = null)
{
    internal void Encode(BinaryEncoder e)
    {
        e.WriteNodeId(NodeId);
        e.WriteUInt32(AttributeId);
        e.WriteString(IndexRange);
        e.WriteDataValue(Value);
    }
}
