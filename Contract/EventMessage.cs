using System.Text.Json.Nodes;

namespace MqttIoT.Sdk.Contract;

/// <summary>
/// The payload of every event, station or device. <see cref="Type"/> repeats the topic's type level so a
/// subscriber to a wildcard sees it without parsing the topic.
/// </summary>
public sealed record EventMessage
{
    /// <summary>The event type's wire name.</summary>
    public required string Type { get; init; }
    /// <summary>The station that emitted it (or holds the device that did).</summary>
    public required string Station { get; init; }
    /// <summary>The device, for device events and the station's DEVICE_* events.</summary>
    public string? Device { get; init; }
    /// <summary>The key, for NOTIFIED, NOTIFY_STARTED and NOTIFY_STOPPED.</summary>
    public string? Key { get; init; }
    /// <summary>When the gateway saw it happen.</summary>
    public DateTimeOffset Timestamp { get; init; }
    /// <summary>
    /// The station's sequence number of the event: one more than the station's previous event, across restarts
    /// (topics.md, "Sequence numbers"); null from a gateway that predates it.
    /// </summary>
    public long? Seq { get; init; }
    /// <summary>Type-specific data; for NOTIFIED, <c>value</c> (hex) and <c>text</c>.</summary>
    public JsonObject? Data { get; init; }
}
