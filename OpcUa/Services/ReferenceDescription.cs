using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>A reference a Browse found (OPC 10000-4 §7.30).</summary>
/// <param name="ReferenceTypeId">The reference type.</param>
/// <param name="IsForward">Whether the reference points away from the browsed node.</param>
/// <param name="NodeId">The target node.</param>
/// <param name="BrowseName">The target's browse name.</param>
/// <param name="DisplayName">The target's display name.</param>
/// <param name="NodeClass">The target's node class.</param>
/// <param name="TypeDefinition">The target's type definition (objects and variables).</param>
public sealed record ReferenceDescription(NodeId ReferenceTypeId, bool IsForward, ExpandedNodeId NodeId, QualifiedName BrowseName,
    LocalizedText DisplayName, NodeClass NodeClass, ExpandedNodeId TypeDefinition)
{
    internal static ReferenceDescription Decode(BinaryDecoder d) => new(
        d.ReadNodeId(), d.ReadBoolean(), d.ReadExpandedNodeId(), d.ReadQualifiedName(), d.ReadLocalizedText(),
        (NodeClass)d.ReadInt32(), d.ReadExpandedNodeId());
}
