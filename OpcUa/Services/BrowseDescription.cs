using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>A node to browse and which of its references to return (OPC 10000-4 §5.8.2).</summary>
/// <param name="NodeId">The node.</param>
/// <param name="ReferenceTypeId">The reference type; HierarchicalReferences by default (null).</param>
/// <param name="Direction">Forward by default.</param>
/// <param name="IncludeSubtypes">Whether subtypes of the reference type count; true by default.</param>
/// <param name="NodeClassMask">Node classes to return; all by default.</param>
public sealed record BrowseDescription(NodeId NodeId, NodeId? ReferenceTypeId = null, BrowseDirection Direction = BrowseDirection.Forward,
    bool IncludeSubtypes = true, NodeClass NodeClassMask = NodeClass.Unspecified)
{
    /// <summary>Every field of the references: type, direction, node class, browse name, display name, type definition.</summary>
    private const uint ResultMaskAll = 0x3F;

    internal void Encode(BinaryEncoder e)
    {
        e.WriteNodeId(NodeId);
        e.WriteInt32((int)Direction);
        e.WriteNodeId(ReferenceTypeId ?? WellKnownNodes.HierarchicalReferences);
        e.WriteBoolean(IncludeSubtypes);
        e.WriteUInt32((uint)NodeClassMask);
        e.WriteUInt32(ResultMaskAll);
    }
}
