using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>A method to call on an object (OPC 10000-4 §5.11.2).</summary>
/// <param name="ObjectId">The object (or object type) that has the method.</param>
/// <param name="MethodId">The method.</param>
/// <param name="InputArguments">The arguments, in order.</param>
public sealed record CallMethodRequest(NodeId ObjectId, NodeId MethodId, IReadOnlyList<Variant> InputArguments)
{
    internal void Encode(BinaryEncoder e)
    {
        e.WriteNodeId(ObjectId);
        e.WriteNodeId(MethodId);
        e.WriteArray(InputArguments, e.WriteVariant);
    }
}
