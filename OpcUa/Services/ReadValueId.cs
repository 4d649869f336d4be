using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>An attribute of a node to read or monitor (OPC 10000-4 §7.29).</summary>
/// <param name="NodeId">The node.</param>
/// <param name="AttributeId">The attribute (<see cref="AttributeIds"/>), Value by default.</param>
/// <param name="IndexRange">A range of an array value, or null for all of it.</param>
public sealed record ReadValueId(NodeId NodeId, uint AttributeId = AttributeIds.Value, string? IndexRange = null)
{
    internal void Encode(BinaryEncoder e)
    {
        e.WriteNodeId(NodeId);
        e.WriteUInt32(AttributeId);
        e.WriteString(IndexRange);
        e.WriteQualifiedName(default); // DataEncoding: the default one
    }
}
