using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// Tells the <see cref="SessionStore"/> what a connection subscribed and unsubscribed, at the SUBACK and UNSUBACK:
/// a SUBSCRIBE is kept here, as the client sent it, until its SUBACK says what was granted; an UNSUBSCRIBE until its
/// UNSUBACK, which MQTTnet sends in order with SUBACKs, so a SUBSCRIBE and UNSUBSCRIBE sent back to back are stored in
/// the order MQTTnet applied them. Filled from the receive loop, emptied from the send loop: it has its own lock.
/// </summary>
internal sealed class SubscriptionRecorder(SessionStore store)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, List<StoredSubscription>> _subscribing = [];
    private readonly Dictionary<ushort, List<string>> _unsubscribing = [];

    /// <summary>Called before the shared-subscription rewrite, so that the filters are stored as the client sent them.</summary>
    public void Subscribing(MqttSubscribePacket subscribe)
    {
        var asked = subscribe.TopicFilters.Select(f => new StoredSubscription(
            f.Topic, f.QualityOfServiceLevel, f.NoLocal, f.RetainAsPublished, subscribe.SubscriptionIdentifier)).ToList();
        lock (_lock) _subscribing[subscribe.PacketIdentifier] = asked;
    }

    public void Unsubscribing(MqttUnsubscribePacket unsubscribe)
    {
        lock (_lock) _unsubscribing[unsubscribe.PacketIdentifier] = [.. unsubscribe.TopicFilters];
    }

    /// <summary>Stored before the SUBACK leaves: once the client knows it is subscribed, a restart keeps it so.</summary>
    public void SubAckSending(string clientId, MqttSubAckPacket subAck)
    {
        List<StoredSubscription>? asked;
        lock (_lock) _subscribing.Remove(subAck.PacketIdentifier, out asked);
        if (asked is not null) store.Subscribed(clientId, Granted(asked, subAck.ReasonCodes));
    }

    public void UnsubAckSending(string clientId, MqttUnsubAckPacket unsubAck)
    {
        List<string>? filters;
        lock (_lock) _unsubscribing.Remove(unsubAck.PacketIdentifier, out filters);
        if (filters is not null) store.Unsubscribed(clientId, filters);
    }

    /// <summary>The filters a SUBACK granted, each at the QoS granted (which may be below the one asked for).</summary>
    private static List<StoredSubscription> Granted(List<StoredSubscription> asked, List<MqttSubscribeReasonCode> codes)
    {
        var granted = new List<StoredSubscription>(asked.Count);
        for (var i = 0; i < asked.Count && i < codes.Count; i++)
        {
            if (codes[i] > MqttSubscribeReasonCode.GrantedQoS2) continue;
            granted.Add(asked[i] with { QualityOfService = (MqttQualityOfServiceLevel)Math.Min((int)asked[i].QualityOfService, (int)codes[i]) });
        }
        return granted;
    }
}
