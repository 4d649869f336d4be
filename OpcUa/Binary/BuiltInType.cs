namespace MqttIoT.OpcUa.Binary;

/// <summary>The built-in types of OPC 10000-6 §5.1.2; the value is the type id used in Variant encodings and the numeric NodeId of the data type.</summary>
public enum BuiltInType : byte
{
    /// <summary>No value (an empty Variant).</summary>
    Null = 0,
    /// <summary>Boolean.</summary>
    Boolean = 1,
    /// <summary>SByte.</summary>
    SByte = 2,
    /// <summary>Byte.</summary>
    Byte = 3,
    /// <summary>Int16.</summary>
    Int16 = 4,
    /// <summary>UInt16.</summary>
    UInt16 = 5,
    /// <summary>Int32.</summary>
    Int32 = 6,
    /// <summary>UInt32.</summary>
    UInt32 = 7,
    /// <summary>Int64.</summary>
    Int64 = 8,
    /// <summary>UInt64.</summary>
    UInt64 = 9,
    /// <summary>Float.</summary>
    Float = 10,
    /// <summary>Double.</summary>
    Double = 11,
    /// <summary>String.</summary>
    String = 12,
    /// <summary>DateTime.</summary>
    DateTime = 13,
    /// <summary>Guid.</summary>
    Guid = 14,
    /// <summary>ByteString.</summary>
    ByteString = 15,
    /// <summary>XmlElement.</summary>
    XmlElement = 16,
    /// <summary>NodeId.</summary>
    NodeId = 17,
    /// <summary>ExpandedNodeId.</summary>
    ExpandedNodeId = 18,
    /// <summary>StatusCode.</summary>
    StatusCode = 19,
    /// <summary>QualifiedName.</summary>
    QualifiedName = 20,
    /// <summary>LocalizedText.</summary>
    LocalizedText = 21,
    /// <summary>ExtensionObject.</summary>
    ExtensionObject = 22,
    /// <summary>DataValue.</summary>
    DataValue = 23,
    /// <summary>Variant.</summary>
    Variant = 24,
    /// <summary>DiagnosticInfo.</summary>
    DiagnosticInfo = 25,
}
