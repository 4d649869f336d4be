using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>A persistent session as <see cref="SessionStore"/> keeps it.</summary>
internal sealed class StoredSession(string id)
{
    public string Id { get; } = id;
    public string? UserName { get; set; }
    /// <summary>Seconds; <see cref="uint.MaxValue"/> never expires.</summary>
    public uint ExpiryInterval { get; set; }
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;
    /// <summary>Null while the client is connected.</summary>
    public DateTimeOffset? OfflineSince { get; set; }
    public Dictionary<string, StoredSubscription> Subscriptions { get; } = new(StringComparer.Ordinal);
    public LinkedList<PendingMessage> Pending { get; } = new();

    /// <summary>
    /// The QoS a message on <paramref name="topic"/> goes out at (3.8.4: the lower of the publish's and the best
    /// matching subscription's) and whether it keeps its retain flag. A message no stored subscription matches (the
    /// SUBACK is still on its way) keeps its own QoS.
    /// </summary>
    public (MqttQualityOfServiceLevel QoS, bool RetainAsPublished) Grant(string topic, MqttQualityOfServiceLevel published)
    {
        var best = -1;
        var retainAsPublished = false;
        foreach (var s in Subscriptions.Values)
        {
            if (MqttTopicFilterComparer.Compare(topic, SharedSubscriptions.PlainFilter(s.Filter)) != MqttTopicFilterCompareResult.IsMatch) continue;
            best = Math.Max(best, (int)s.QualityOfService);
            retainAsPublished |= s.RetainAsPublished;
        }
        return best < 0 ? (published, false) : ((MqttQualityOfServiceLevel)Math.Min(best, (int)published), retainAsPublished);
    }
}

internal readonly record struct StoredSubscription(string Filter, MqttQualityOfServiceLevel QualityOfService, bool NoLocal, bool RetainAsPublished, uint SubscriptionIdentifier);

internal sealed record PendingMessage(long Sequence, MqttApplicationMessage Message, byte[] Payload)
{
    public bool Matches(string topic, byte[] payload, bool retain) =>
        retain == Message.Retain && string.Equals(topic, Message.Topic, StringComparison.Ordinal) && payload.AsSpan().SequenceEqual(Payload);
}
