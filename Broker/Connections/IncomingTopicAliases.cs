using MQTTnet.Packets;

namespace MqttIoT.Broker;

/// <summary>
/// Topic aliases from one client to the broker (MQTT v5 3.3.2.3.4): MQTTnet resolves them, but routes a PUBLISH
/// whose alias was never set with an empty topic; here that is found first, so it can be answered as the protocol
/// error it is. Used by the connection's receive loop only.
/// </summary>
internal sealed class IncomingTopicAliases
{
    private readonly Dictionary<ushort, string> _aliases = [];

    /// <summary>Records an alias the PUBLISH sets; returns why the PUBLISH is a protocol error, or null.</summary>
    public string? Check(MqttPublishPacket publish)
    {
        if (publish.TopicAlias != 0 && !string.IsNullOrEmpty(publish.Topic))
        {
            _aliases[publish.TopicAlias] = publish.Topic;
            return null;
        }
        if (!string.IsNullOrEmpty(publish.Topic) || (publish.TopicAlias != 0 && _aliases.ContainsKey(publish.TopicAlias))) return null;
        // An empty topic with an alias that was never set (or without alias): MQTTnet would log a warning and route
        // the message with an empty topic.
        return $"used topic alias {publish.TopicAlias} that it never set";
    }
}
