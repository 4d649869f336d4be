namespace MqttIoT.OpcUa.Binary;

/// <summary>A NodeId that may name its namespace by URI and live on another server (OPC 10000-6 §5.2.2.10).</summary>
/// <param name="NodeId">The node id; its namespace index is meaningless when <paramref name="NamespaceUri"/> is set.</param>
/// <param name="NamespaceUri">The namespace URI, when given instead of the index.</param>
/// <param name="ServerIndex">The server, 0 for the local one.</param>
public sealed record ExpandedNodeId(NodeId NodeId, string? NamespaceUri = null, uint ServerIndex = 0)
{
    /// <summary>Whether it names a node on the server it came from, by index.</summary>
    public bool IsLocal => NamespaceUri is null && ServerIndex == 0;

    /// <inheritdoc />
    public override string ToString()
    {
        var text = NodeId.ToString();
        if (NamespaceUri is not null) text = $"nsu={NamespaceUri};{(NodeId.NamespaceIndex == 0 ? text : text[(text.IndexOf(';', StringComparison.Ordinal) + 1)..])}";
        return ServerIndex == 0 ? text : $"svr={ServerIndex};{text}";
    }
}
