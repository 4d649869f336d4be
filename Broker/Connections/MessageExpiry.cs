using System.Globalization;
using MQTTnet;
using MQTTnet.Packets;

namespace MqttIoT.Broker;

/// <summary>
/// Message expiry (MQTT v5 3.3.2.3.3), which MQTTnet 5.2 forwards but never enforces. A message with an expiry is
/// stamped with the time the broker received it, in a user property that no client ever sees: it travels with the
/// message through MQTTnet's queues and retained store, and is read and removed just before the message goes out.
/// </summary>
internal static class MessageExpiry
{
    /// <summary>The internal user property; removed from every outgoing PUBLISH.</summary>
    public const string ReceivedAtProperty = "x-mqttiot-received-at";

    /// <summary>Stamps a message that has an expiry with the time it reached the broker.</summary>
    public static void Stamp(MqttApplicationMessage message, TimeProvider time)
    {
        if (message.MessageExpiryInterval == 0 || message.UserProperties?.Any(p => p.Name == ReceivedAtProperty) == true) return;
        var stamped = message.UserProperties is null ? new List<MqttUserProperty>() : [.. message.UserProperties];
        var value = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        stamped.Add(new MqttUserProperty(ReceivedAtProperty, System.Text.Encoding.UTF8.GetBytes(value).AsMemory()));
        message.UserProperties = stamped;
    }

    /// <summary>
    /// The packet to send: null once expired [MQTT-3.3.2-5]; otherwise a copy without the stamp whose expiry is
    /// what is left of it [MQTT-3.3.2-6]. The packet MQTTnet keeps for retransmission is not changed.
    /// </summary>
    public static MqttPublishPacket? PrepareForSending(MqttPublishPacket packet, TimeProvider time)
    {
        var stamp = packet.UserProperties?.FirstOrDefault(p => p.Name == ReceivedAtProperty);
        if (stamp is null) return packet;
        var copy = PublishPacketSize.Copy(packet);
        copy.UserProperties = packet.UserProperties!.Where(p => p.Name != ReceivedAtProperty).ToList();
        if (copy.UserProperties.Count == 0) copy.UserProperties = null;
        if (packet.MessageExpiryInterval == 0
            || !long.TryParse(stamp.ReadValueAsString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var receivedMs))
            return copy;
        var waited = TimeSpan.FromMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds() - receivedMs);
        if (waited >= TimeSpan.FromSeconds(packet.MessageExpiryInterval)) return null;
        copy.MessageExpiryInterval = packet.MessageExpiryInterval - (uint)Math.Max(0, (int)waited.TotalSeconds);
        return copy;
    }
}
