using MQTTnet.Adapter;
using MQTTnet.Packets;

namespace MqttIoT.Broker;

/// <summary>
/// How one PUBLISH goes out to a client: not at all once its message expired [MQTT-3.3.2-5] or when it is larger
/// than the client's Maximum Packet Size [MQTT-3.1.2-25], else with the remaining expiry and, towards a client that
/// allows them, a topic alias (<see cref="OutgoingTopicAliases"/>). PUBLISH packets go out one at a time: an alias must
/// reach the wire with its topic before it is used alone.
/// </summary>
internal sealed class OutgoingPublishes(IMqttChannelAdapter inner, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _sending = new(1, 1);
    private OutgoingTopicAliases _aliases = new(0);
    private uint _maximumPacketSize;

    /// <summary>What the client's CONNECT allows (Topic Alias Maximum, Maximum Packet Size, 0: no limit).</summary>
    public void Configure(ushort topicAliasMaximum, uint maximumPacketSize)
    {
        _aliases = new OutgoingTopicAliases(topicAliasMaximum);
        _maximumPacketSize = maximumPacketSize;
    }

    /// <summary>Sends <paramref name="publish"/>; false when it was discarded instead (expired, or too large), as if delivered.</summary>
    public async Task<bool> SendAsync(MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outgoing = MessageExpiry.PrepareForSending(publish, time);
            if (outgoing is null) return false;
            var (aliased, newAlias) = _aliases.Apply(outgoing);
            // A new alias makes the packet 3 bytes longer: if that is too much, it goes out without one.
            outgoing = Fits(aliased) ? aliased : newAlias && Fits(OutgoingTopicAliases.WithoutAlias(outgoing)) ? OutgoingTopicAliases.WithoutAlias(outgoing) : null;
            if (outgoing is null) return false;
            await inner.SendPacketAsync(outgoing, cancellationToken).ConfigureAwait(false);
            if (newAlias && outgoing == aliased) _aliases.Assigned(outgoing);
            return true;
        }
        finally
        {
            _sending.Release();
        }
    }

    private bool Fits(MqttPublishPacket packet) => _maximumPacketSize == 0 || PublishPacketSize.Of(packet) <= _maximumPacketSize;

    public void Dispose() => _sending.Dispose();
}
