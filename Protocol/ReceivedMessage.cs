using MQTTnet.Packets;

namespace MqttIoT.Protocol;

/// <summary>
/// An application message copied out of the MQTT receive loop, so it can be queued and handled later
/// without holding the client's buffers.
/// </summary>
public sealed record ReceivedMessage(
    string Topic,
    byte[] Payload,
    string? ResponseTopic,
    byte[]? CorrelationData,
    uint MessageExpiryInterval,
    bool Retain,
    IReadOnlyList<MqttUserProperty>? UserProperties,
    IReadOnlyList<uint>? SubscriptionIdentifiers = null)
{
    /// <summary>The value of a user property, or null.</summary>
    public string? UserProperty(string name)
    {
        if (UserProperties is null) return null;
        foreach (var p in UserProperties)
            if (p.Name == name) return p.ReadValueAsString();
        return null;
    }
}
