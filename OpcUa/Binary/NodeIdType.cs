namespace MqttIoT.OpcUa.Binary;

/// <summary>The kinds of NodeId identifier (OPC 10000-3 §8.2.3).</summary>
public enum NodeIdType
{
    /// <summary>A UInt32 (<c>i=</c>).</summary>
    Numeric,
    /// <summary>A string (<c>s=</c>).</summary>
    String,
    /// <summary>A Guid (<c>g=</c>).</summary>
    Guid,
    /// <summary>A ByteString (<c>b=</c>, base64).</summary>
    Opaque,
}
