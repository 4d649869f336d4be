using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Diagnostics.PacketInspection;
using MQTTnet.Internal;

namespace MqttIoT.Broker;

/// <summary>
/// Finds a PUBLISH from the client with a Topic Alias of 0, a Protocol Error [MQTT-3.3.2-8] that the broker answers
/// with DISCONNECT 0x94 (Topic Alias invalid). MQTTnet decodes an absent Topic Alias and an alias of 0 alike, so the
/// raw packet is read: through MQTTnet's packet inspector, which hands over each packet's bytes before it is decoded.
/// The inspector copies every packet it sees (both directions): a copy of a few hundred bytes next to MQTTnet's own
/// work per packet. Only inbound PUBLISH packets are parsed, up to their properties.
/// </summary>
internal sealed class TopicAliasZero
{
    private const byte TopicAliasProperty = 0x23;
    private volatile bool _seen;

    /// <summary>Inspects <paramref name="inner"/>'s packets, when it is MQTTnet's socket adapter (not an in-process one).</summary>
    public void Attach(IMqttChannelAdapter inner)
    {
        if (inner is not MqttChannelAdapter adapter) return;
        var inspect = new AsyncEvent<InspectMqttPacketEventArgs>();
        inspect.AddHandler(e =>
        {
            if (e.Direction == MqttPacketFlowDirection.Inbound && e.Buffer.Length > 0 && e.Buffer[0] >> 4 == 3) _seen = HasAliasZero(e.Buffer);
        });
        adapter.PacketInspector = new MqttPacketInspector(inspect, MqttNetNullLogger.Instance);
    }

    /// <summary>Whether the PUBLISH just received had a Topic Alias of 0 (asked once per PUBLISH, on the receive loop).</summary>
    public bool TakeSeen()
    {
        var seen = _seen;
        _seen = false;
        return seen;
    }

    /// <summary>Walks a whole PUBLISH (fixed header included) to its properties; false where it cannot tell (MQTTnet's decoder judges those).</summary>
    public static bool HasAliasZero(ReadOnlySpan<byte> packet)
    {
        var qos = (packet[0] >> 1) & 3;
        var i = 1;
        if (!VarInt(packet, ref i, out _)) return false;
        if (!Skip(packet, ref i, 2 + U16(packet, i))) return false;
        if (qos > 0 && !Skip(packet, ref i, 2)) return false;
        if (!VarInt(packet, ref i, out var length)) return false;
        var end = i + length;
        if (end > packet.Length) return false;
        while (i < end)
        {
            var id = packet[i++];
            if (id == TopicAliasProperty)
            {
                if (i + 2 > end) return false;
                if (U16(packet, i) == 0) return true;
                i += 2;
                continue;
            }
            var ok = id switch
            {
                0x01 => Skip(packet, ref i, 1),
                0x02 => Skip(packet, ref i, 4),
                0x03 or 0x08 or 0x09 => Skip(packet, ref i, 2 + U16(packet, i)),
                0x0B => VarInt(packet, ref i, out _),
                0x26 => Skip(packet, ref i, 2 + U16(packet, i)) && Skip(packet, ref i, 2 + U16(packet, i)),
                _ => false,
            };
            if (!ok) return false;
        }
        return false;
    }

    private static int U16(ReadOnlySpan<byte> p, int i) => i + 2 <= p.Length ? p[i] << 8 | p[i + 1] : -1;

    private static bool Skip(ReadOnlySpan<byte> p, ref int i, int count)
    {
        if (count < 0 || i + count > p.Length) return false;
        i += count;
        return true;
    }

    private static bool VarInt(ReadOnlySpan<byte> p, ref int i, out int value)
    {
        value = 0;
        for (int shift = 0, n = 0; n < 4 && i < p.Length; n++, shift += 7)
        {
            var b = p[i++];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
}
