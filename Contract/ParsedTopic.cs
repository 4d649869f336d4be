namespace MqttIoT.Sdk.Contract;

/// <summary>A topic of the tree taken apart. <see cref="Id"/>, <see cref="Key"/> and <see cref="Station"/> are unescaped.</summary>
/// <param name="Scope">Station, device, hub or client.</param>
/// <param name="Id">The station, device or client id; empty for the hub.</param>
/// <param name="Kind">What the topic carries.</param>
/// <param name="Name">The type segment of an event, request or query; otherwise null.</param>
/// <param name="Key">The key of a NOTIFIED event topic; otherwise null.</param>
/// <param name="Station">The station of a station or device topic (for a device, the station that holds it); otherwise null.</param>
public readonly record struct ParsedTopic(TopicScope Scope, string Id, TopicKind Kind, string? Name, string? Key, string? Station);
