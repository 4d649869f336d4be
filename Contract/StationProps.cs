using System.Text.Json.Nodes;

namespace MqttIoT.Sdk.Contract;

/// <summary>A station's props, retained on its props topic and returned by GET_PROPS.</summary>
public sealed record StationProps
{
    /// <summary>The station id.</summary>
    public required string Id { get; init; }
    /// <summary>The backend kind: <c>simulated</c>, <c>ble</c>, <c>opcua</c>.</summary>
    public required string Backend { get; init; }
    /// <summary>Whether the station is started.</summary>
    public bool Started { get; init; }
    /// <summary>Whether discovery may run.</summary>
    public bool DiscoveryEnabled { get; init; }
    /// <summary>Whether a discovery scan runs now.</summary>
    public bool Discovering { get; init; }
    /// <summary>How many devices the station knows (discovered or connected).</summary>
    public int KnownDevices { get; init; }
    /// <summary>How many of them are connected.</summary>
    public int ConnectedDevices { get; init; }
    /// <summary>Backend-specific facts (adapter address, endpoint URL...).</summary>
    public JsonObject? Attributes { get; init; }
}
