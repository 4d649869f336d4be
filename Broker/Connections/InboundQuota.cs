using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// The broker's Receive Maximum towards one v5 client ([MQTT-3.3.4-7..8]): the QoS 1 and 2 PUBLISH packets from the
/// client that the broker has not yet answered with PUBACK / PUBCOMP. One more than the maximum is a protocol
/// violation (DISCONNECT 0x93). Received on the receive loop, answered on the send loop: it has its own lock.
/// </summary>
internal sealed class InboundQuota(int receiveMaximum)
{
    private readonly Lock _lock = new();
    private readonly HashSet<ushort> _unanswered = [];

    public int Maximum => receiveMaximum;

    /// <summary>Counts a PUBLISH from the client; false when it is one more than the broker allows.</summary>
    public bool Received(MqttPublishPacket publish)
    {
        if (publish.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce) return true;
        lock (_lock)
        {
            _unanswered.Add(publish.PacketIdentifier);
            return _unanswered.Count <= receiveMaximum;
        }
    }

    /// <summary>The broker's PUBACK, PUBCOMP or failed PUBREC for a PUBLISH of the client is going out.</summary>
    public void Answered(ushort packetIdentifier)
    {
        lock (_lock) _unanswered.Remove(packetIdentifier);
    }
}
