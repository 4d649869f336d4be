using MQTTnet.Packets;

namespace MqttIoT.Broker;

/// <summary>
/// The client's Receive Maximum ([MQTT-3.3.4-9]): no more than that many unacknowledged QoS 1 and 2 PUBLISH packets
/// towards the client; the rest wait here, in order, for an acknowledgement (MQTTnet's send loop goes on with
/// PINGRESP, SUBACK...). Taken from the send loop, freed from the receive loop: it has its own lock.
/// </summary>
internal sealed class OutboundFlow
{
    private readonly Lock _lock = new();
    private readonly HashSet<ushort> _inFlight = [];
    private readonly Queue<MqttPublishPacket> _deferred = new();

    /// <summary>The client's Receive Maximum; 65535 until its CONNECT says otherwise.</summary>
    public int ReceiveMaximum { get; set; } = 65535;

    /// <summary>True when <paramref name="publish"/> (QoS 1 or 2) may go out now; false: it waits for a free slot.</summary>
    public bool TryStart(MqttPublishPacket publish)
    {
        lock (_lock)
        {
            if (_inFlight.Count >= ReceiveMaximum || _deferred.Count > 0)
            {
                _deferred.Enqueue(publish);
                return false;
            }
            _inFlight.Add(publish.PacketIdentifier);
            return true;
        }
    }

    /// <summary>Frees the slot of an acknowledged (or discarded) PUBLISH; returns the one that waited for it, now in flight.</summary>
    public MqttPublishPacket? Complete(ushort packetIdentifier)
    {
        lock (_lock)
        {
            if (!_inFlight.Remove(packetIdentifier)) return null;
            if (!_deferred.TryDequeue(out var next)) return null;
            _inFlight.Add(next.PacketIdentifier);
            return next;
        }
    }
}
