namespace MqttIoT.OpcUa.Services;

/// <summary>Which references a Browse follows (OPC 10000-4 §7.5).</summary>
public enum BrowseDirection
{
    /// <summary>From the node outwards.</summary>
    Forward = 0,
    /// <summary>Into the node.</summary>
    Inverse = 1,
    /// <summary>Both ways.</summary>
    Both = 2,
}
