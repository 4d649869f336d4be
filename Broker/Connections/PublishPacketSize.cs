using System.Text;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// The encoded size of an MQTT v5 PUBLISH packet (3.3), to hold it against the client's Maximum Packet Size, and a
/// copy to change before sending: the packet MQTTnet keeps for retransmission must stay as it is.
/// </summary>
internal static class PublishPacketSize
{
    public static MqttPublishPacket Copy(MqttPublishPacket p) => new()
    {
        PacketIdentifier = p.PacketIdentifier,
        ContentType = p.ContentType,
        CorrelationData = p.CorrelationData,
        Dup = p.Dup,
        MessageExpiryInterval = p.MessageExpiryInterval,
        PayloadFormatIndicator = p.PayloadFormatIndicator,
        Payload = p.Payload,
        QualityOfServiceLevel = p.QualityOfServiceLevel,
        ResponseTopic = p.ResponseTopic,
        Retain = p.Retain,
        SubscriptionIdentifiers = p.SubscriptionIdentifiers,
        Topic = p.Topic,
        TopicAlias = p.TopicAlias,
        UserProperties = p.UserProperties,
    };

    public static long Of(MqttPublishPacket p)
    {
        long properties = 0;
        if (p.PayloadFormatIndicator != MqttPayloadFormatIndicator.Unspecified) properties += 2;
        if (p.MessageExpiryInterval > 0) properties += 5;
        if (p.TopicAlias > 0) properties += 3;
        if (p.ResponseTopic is { } rt) properties += 3 + Encoding.UTF8.GetByteCount(rt);
        if (p.CorrelationData is { } cd) properties += 3 + cd.Length;
        if (p.ContentType is { } ct) properties += 3 + Encoding.UTF8.GetByteCount(ct);
        foreach (var id in p.SubscriptionIdentifiers ?? []) properties += 1 + VariableByteIntegerSize(id);
        foreach (var u in p.UserProperties ?? [])
            properties += 5 + Encoding.UTF8.GetByteCount(u.Name) + Encoding.UTF8.GetByteCount(u.ReadValueAsString());
        var remaining = 2 + Encoding.UTF8.GetByteCount(p.Topic ?? "")
            + (p.QualityOfServiceLevel > MqttQualityOfServiceLevel.AtMostOnce ? 2 : 0)
            + VariableByteIntegerSize(properties) + properties + p.Payload.Length;
        return 1 + VariableByteIntegerSize(remaining) + remaining;
    }

    private static int VariableByteIntegerSize(long value) => value switch { < 128 => 1, < 16_384 => 2, < 2_097_152 => 3, _ => 4 };
}
