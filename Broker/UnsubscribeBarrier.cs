using MQTTnet.Packets;
using MQTTnet;
using MQTTnet.Server;

namespace MqttIoT.Broker;

/// <summary>
/// Makes an UNSUBSCRIBE take effect the moment the broker reads it (MQTT v5 3.10.4), not when MQTTnet gets round to
/// it. MQTTnet applies an UNSUBSCRIBE on the client's own receive loop, one thread-pool hop and a write lock later;
/// meanwhile another connection's PUBLISH, read after it, is dispatched on that connection's loop and still finds the
/// subscription (seen at 2 to 9 ms on a busy machine, enough for a client that publishes right after connecting).
/// Here the filters of each session (as MQTTnet holds them: shared ones without their "$share/group/") are known from
/// its SUBSCRIBE and UNSUBSCRIBE packets, and from the UNSUBSCRIBE until its UNSUBACK a message for the client on a
/// topic that only the leaving filters match is not queued. Mosquitto, single-threaded, handles packets in the order
/// they arrive and needs no such thing.
/// </summary>
internal sealed class UnsubscribeBarrier
{
    private readonly Lock _lock = new();
    // Every filter of each session: what a leaving filter is checked against.
    private readonly Dictionary<string, HashSet<string>> _filters = new(StringComparer.Ordinal);
    // Filters of UNSUBSCRIBE packets read and not yet answered, per client and packet identifier. Read on every
    // enqueue (a lock-free look-up that is almost always a miss), written only around an UNSUBSCRIBE.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Dictionary<ushort, List<string>>> _leaving = new(StringComparer.Ordinal);

    /// <summary>A SUBSCRIBE was read (its filters after the shared-subscription rewrite).</summary>
    public void Subscribing(string clientId, MqttSubscribePacket subscribe)
    {
        lock (_lock)
        {
            if (!_filters.TryGetValue(clientId, out var filters)) _filters[clientId] = filters = new(StringComparer.Ordinal);
            foreach (var f in subscribe.TopicFilters) filters.Add(f.Topic);
        }
    }

    /// <summary>An UNSUBSCRIBE was read (its filters after the shared-subscription rewrite): from now on they are gone.</summary>
    public void Unsubscribing(string clientId, MqttUnsubscribePacket unsubscribe)
    {
        lock (_lock)
        {
            if (_filters.TryGetValue(clientId, out var filters))
                foreach (var f in unsubscribe.TopicFilters) filters.Remove(f);
            var leaving = _leaving.GetOrAdd(clientId, _ => []);
            leaving[unsubscribe.PacketIdentifier] = [.. unsubscribe.TopicFilters];
        }
    }

    /// <summary>The UNSUBACK is going out: MQTTnet has removed the subscriptions itself.</summary>
    public void Unsubscribed(string clientId, ushort packetIdentifier)
    {
        lock (_lock)
        {
            if (!_leaving.TryGetValue(clientId, out var leaving)) return;
            leaving.Remove(packetIdentifier);
            if (leaving.Count == 0) _leaving.TryRemove(clientId, out _);
        }
    }

    /// <summary>The session ended or started clean: it has no filters.</summary>
    public void Forget(string clientId)
    {
        lock (_lock)
        {
            _filters.Remove(clientId);
            _leaving.TryRemove(clientId, out _);
        }
    }

    /// <summary>Whether a message on <paramref name="topic"/> reaches <paramref name="clientId"/> only through filters it is leaving.</summary>
    public bool OnlyThroughLeavingFilters(string clientId, string topic)
    {
        if (!_leaving.ContainsKey(clientId)) return false;
        lock (_lock)
        {
            if (!_leaving.TryGetValue(clientId, out var leaving)) return false;
            if (!leaving.Values.Any(filters => filters.Any(f => Matches(topic, f)))) return false;
            return !(_filters.TryGetValue(clientId, out var remaining) && remaining.Any(f => Matches(topic, f)));
        }
    }

    private static bool Matches(string topic, string filter) => MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch;
}
