namespace MqttIoT.OpcUa.Services;

/// <summary>Node classes (OPC 10000-3 §8.29); a bit mask in browse filters.</summary>
[Flags]
public enum NodeClass
{
    /// <summary>Unspecified (all, in a mask).</summary>
    Unspecified = 0,
    /// <summary>Object.</summary>
    Object = 1,
    /// <summary>Variable.</summary>
    Variable = 2,
    /// <summary>Method.</summary>
    Method = 4,
    /// <summary>ObjectType.</summary>
    ObjectType = 8,
    /// <summary>VariableType.</summary>
    VariableType = 16,
    /// <summary>ReferenceType.</summary>
    ReferenceType = 32,
    /// <summary>DataType.</summary>
    DataType = 64,
    /// <summary>View.</summary>
    View = 128,
}
