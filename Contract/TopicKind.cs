namespace MqttIoT.Sdk.Contract;

/// <summary>What a topic of the tree carries.</summary>
public enum TopicKind
{
    /// <summary>Retained JSON props of a station or device.</summary>
    Props,
    /// <summary>Retained <c>online</c>/<c>offline</c>.</summary>
    Availability,
    /// <summary>An event; the last levels name its type (and key, for NOTIFIED).</summary>
    Event,
    /// <summary>A request; the last level names its type.</summary>
    Request,
    /// <summary>A query; the last level names its type.</summary>
    Query,
    /// <summary>A client's reply inbox.</summary>
    Replies,
}
