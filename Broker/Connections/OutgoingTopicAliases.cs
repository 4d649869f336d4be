using MQTTnet.Packets;

namespace MqttIoT.Broker;

/// <summary>
/// Topic aliases from the broker to one client connection (MQTT v5 3.3.2.3.4): the first Topic Alias Maximum
/// distinct topics sent to the client each get an alias, sent once with the topic; later PUBLISH packets on that
/// topic carry the alias and an empty topic. Topics beyond the maximum go out in full: an alias is never reassigned,
/// so a client that missed nothing always knows every alias it is sent. Aliases live as long as the connection.
/// </summary>
internal sealed class OutgoingTopicAliases(ushort maximum)
{
    private readonly Dictionary<string, ushort> _aliases = new(StringComparer.Ordinal);

    /// <summary>
    /// The packet to send for <paramref name="packet"/> (a copy whenever it differs), and whether it assigns a new
    /// alias, which counts only once <see cref="Assigned"/> is called, when the packet really goes out.
    /// </summary>
    public (MqttPublishPacket Packet, bool NewAlias) Apply(MqttPublishPacket packet)
    {
        if (maximum == 0 || string.IsNullOrEmpty(packet.Topic)) return (WithoutAlias(packet), false);
        if (_aliases.TryGetValue(packet.Topic, out var known)) return (With(packet, "", known), false);
        if (_aliases.Count >= maximum) return (WithoutAlias(packet), false);
        return (With(packet, packet.Topic, (ushort)(_aliases.Count + 1)), true);
    }

    /// <summary>The alias of a packet from <see cref="Apply"/> went out with its topic: later packets use it alone.</summary>
    public void Assigned(MqttPublishPacket sent) => _aliases[sent.Topic] = sent.TopicAlias;

    /// <summary>
    /// The packet with no alias at all: MQTTnet may carry the alias a publisher used into the copy for subscribers
    /// [MQTT-3.3.2-8], [MQTT-3.3.2-12].
    /// </summary>
    public static MqttPublishPacket WithoutAlias(MqttPublishPacket packet) =>
        packet.TopicAlias == 0 ? packet : With(packet, packet.Topic, 0);

    private static MqttPublishPacket With(MqttPublishPacket packet, string topic, ushort alias)
    {
        var copy = PublishPacketSize.Copy(packet);
        copy.Topic = topic;
        copy.TopicAlias = alias;
        return copy;
    }
}
