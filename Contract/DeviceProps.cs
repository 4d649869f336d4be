using System.Text.Json.Nodes;

namespace MqttIoT.Sdk.Contract;

/// <summary>A device's props, retained on its props topic and returned by queries.</summary>
public sealed record DeviceProps
{
    /// <summary>The device id, unique within its station (two stations may each hold a device of the same id).</summary>
    public required string Id { get; init; }
    /// <summary>The station that holds the device.</summary>
    public required string Station { get; init; }
    /// <summary>A name for people, when the device has one.</summary>
    public string? Name { get; init; }
    /// <summary>Whether the station holds a connection to the device.</summary>
    public bool Connected { get; init; }
    /// <summary>The keys that can be read, written or watched.</summary>
    public IReadOnlyList<string> Keys { get; init; } = [];
    /// <summary>Backend-specific facts (model, address, RSSI, node id...).</summary>
    public JsonObject? Attributes { get; init; }
}
