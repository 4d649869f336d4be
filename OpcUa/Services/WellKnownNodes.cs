using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>Nodes of namespace 0 this client needs (OPC 10000-6 Annex A, NodeIds.csv).</summary>
public static class WellKnownNodes
{
    /// <summary>The Objects folder.</summary>
    public static readonly NodeId ObjectsFolder = new(85u);
    /// <summary>The HierarchicalReferences reference type.</summary>
    public static readonly NodeId HierarchicalReferences = new(33u);
    /// <summary>The HasComponent reference type.</summary>
    public static readonly NodeId HasComponent = new(47u);
    /// <summary>The HasProperty reference type.</summary>
    public static readonly NodeId HasProperty = new(46u);
    /// <summary>The Organizes reference type.</summary>
    public static readonly NodeId Organizes = new(35u);
    /// <summary>Server_ServerStatus_CurrentTime, the server's clock.</summary>
    public static readonly NodeId ServerCurrentTime = new(2258u);
    /// <summary>HasSubtype: from a type to its subtypes.</summary>
    public static readonly NodeId HasSubtype = new(45u);
    /// <summary>Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall.</summary>
    public static readonly NodeId MaxMonitoredItemsPerCall = new(11714u);
    /// <summary>Server_ServerCapabilities_OperationLimits_MaxNodesPerRead.</summary>
    public static readonly NodeId MaxNodesPerRead = new(11705u);
    /// <summary>Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse.</summary>
    public static readonly NodeId MaxNodesPerBrowse = new(11710u);
    /// <summary>Server_NamespaceArray.</summary>
    public static readonly NodeId NamespaceArray = new(2255u);
}
