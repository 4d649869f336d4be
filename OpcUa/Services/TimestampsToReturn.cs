namespace MqttIoT.OpcUa.Services;

/// <summary>Which timestamps a Read or a monitored item returns (OPC 10000-4 §7.40).</summary>
public enum TimestampsToReturn
{
    /// <summary>The source timestamp.</summary>
    Source = 0,
    /// <summary>The server timestamp.</summary>
    Server = 1,
    /// <summary>Both.</summary>
    Both = 2,
    /// <summary>Neither.</summary>
    Neither = 3,
}
