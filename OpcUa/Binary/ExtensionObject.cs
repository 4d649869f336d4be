namespace MqttIoT.OpcUa.Binary;

/// <summary>
/// A structure the decoder does not know, kept as its encoding id and body (OPC 10000-6 §5.2.2.15). The
/// services this client speaks decode their own structures; everything else stays opaque.
/// </summary>
/// <param name="TypeId">The encoding id (a <c>..._Encoding_DefaultBinary</c> node).</param>
/// <param name="Body">The binary body, or null when there is none.</param>
public sealed record ExtensionObject(NodeId TypeId, byte[]? Body)
{
    /// <summary>Whether the extension object is empty (null type id, no body).</summary>
    public bool IsNull => TypeId.IsNull && Body is null;
}
