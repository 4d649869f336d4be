using System.Runtime.CompilerServices;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace MqttIoT.Broker;

/// <summary>
/// MQTT v5 shared subscriptions (<c>$share/{group}/{filter}</c>, spec 4.8.2) for the embedded broker.
/// MQTTnet.Server 5.2 refuses them (SUBACK 0x9E, "Shared Subscriptions not supported") before any interceptor runs,
/// so this sits one step earlier, on the inbound packets: a shared filter is rewritten to its plain filter before
/// MQTTnet sees it and remembered here with its group; when MQTTnet then offers a message to a member, only the one
/// member this class picked for the group (round robin over connected members) accepts it. Retained messages are
/// not sent on a shared subscribe, as the spec asks, and CONNACK advertises the feature.
/// </summary>
/// <remarks>
/// Limits, kept because nothing in the system needs more: MQTTnet holds one subscription per filter string and
/// client, so a client holding the same filter both plain and shared (or in two groups) receives it as one
/// subscription (plain wins), and its unsubscribe reason codes may say "no subscription existed" for the half
/// that is still held. Clients of the system never do that; Mosquitto, the production broker, supports the
/// feature natively.
/// </remarks>
internal sealed class SharedSubscriptions
{
    private const string Prefix = "$share/";
    private const string SessionKey = "mqttiot.shared-subscriptions";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Group, string Filter), Group> _groups = [];
    private readonly ConditionalWeakTable<MqttApplicationMessage, Dictionary<(string, string), string>> _choices = [];

    public void Attach(MqttServer server)
    {
        server.ValidatingConnectionAsync += OnValidatingConnectionAsync;
        server.InterceptingInboundPacketAsync += OnInboundPacketAsync;
        server.InterceptingOutboundPacketAsync += OnOutboundPacketAsync;
        server.InterceptingClientEnqueueAsync += OnEnqueueAsync;
        server.ClientConnectedAsync += OnClientConnectedAsync;
        server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
        server.SessionDeletedAsync += OnSessionDeletedAsync;
    }

    /// <summary>Splits <c>$share/{group}/{filter}</c>; false for anything else, or a share name that is empty or has wildcards.</summary>
    public static bool TryParse(string topicFilter, out string group, out string filter)
    {
        group = filter = "";
        if (!topicFilter.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var slash = topicFilter.IndexOf('/', Prefix.Length);
        if (slash <= Prefix.Length || slash == topicFilter.Length - 1) return false;
        group = topicFilter[Prefix.Length..slash];
        if (group.AsSpan().IndexOfAny("+#") >= 0) return false;
        filter = topicFilter[(slash + 1)..];
        return true;
    }

    private Task OnValidatingConnectionAsync(ValidatingConnectionEventArgs e)
    {
        // A clean start throws the old session away, and its subscriptions with it.
        if (e.CleanSession == true && !string.IsNullOrEmpty(e.ClientId))
            lock (_lock) if (_members.TryGetValue(e.ClientId, out var old)) Forget(old);
        return Task.CompletedTask;
    }

    private Task OnInboundPacketAsync(InterceptingPacketEventArgs e)
    {
        switch (e.Packet)
        {
            case MqttSubscribePacket subscribe:
                lock (_lock)
                {
                    var member = MemberOf(e.ClientId, e.SessionItems);
                    foreach (var tf in subscribe.TopicFilters)
                    {
                        if (TryParse(tf.Topic, out var group, out var filter))
                        {
                            Join(member, group, filter);
                            tf.Topic = filter;
                            tf.NoLocal = false;
                            tf.RetainHandling = MqttRetainHandling.DoNotSendOnSubscribe;
                        }
                        else member.Plain.Add(tf.Topic);
                    }
                }
                break;
            case MqttUnsubscribePacket unsubscribe:
                lock (_lock)
                {
                    if (!_members.TryGetValue(e.ClientId, out var member)) break;
                    var filters = unsubscribe.TopicFilters;
                    for (var i = 0; i < filters.Count; i++)
                    {
                        if (TryParse(filters[i], out var group, out var filter))
                        {
                            Leave(member, group, filter);
                            // Only drop MQTTnet's subscription when nothing else of this client holds the filter.
                            if (!member.Plain.Contains(filter) && !member.Shared.ContainsKey(filter)) filters[i] = filter;
                        }
                        else
                        {
                            member.Plain.Remove(filters[i]);
                            if (member.Shared.ContainsKey(filters[i])) filters[i] = Prefix + "/" + filters[i]; // held shared: keep it
                        }
                    }
                }
                break;
        }
        return Task.CompletedTask;
    }

    private static Task OnOutboundPacketAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttConnAckPacket connAck) connAck.SharedSubscriptionAvailable = true;
        return Task.CompletedTask;
    }

    private Task OnEnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs e)
    {
        var topic = e.ApplicationMessage.Topic;
        lock (_lock)
        {
            if (!_members.TryGetValue(e.ReceiverClientId, out var member) || member.Shared.Count == 0) return Task.CompletedTask;
            foreach (var plain in member.Plain)
                if (MqttTopicFilterComparer.Compare(topic, plain) == MqttTopicFilterCompareResult.IsMatch) return Task.CompletedTask;
            var shared = false;
            foreach (var (filter, groups) in member.Shared)
            {
                if (MqttTopicFilterComparer.Compare(topic, filter) != MqttTopicFilterCompareResult.IsMatch) continue;
                foreach (var group in groups)
                {
                    shared = true;
                    if (Choose(e.ApplicationMessage, group, filter) == member.ClientId) return Task.CompletedTask;
                }
            }
            if (shared) e.AcceptEnqueue = false;
        }
        return Task.CompletedTask;
    }

    private Task OnClientConnectedAsync(ClientConnectedEventArgs e)
    {
        lock (_lock) if (e.SessionItems[SessionKey] is Member m) m.Connected = true;
        return Task.CompletedTask;
    }

    private Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        lock (_lock)
        {
            if (e.SessionItems[SessionKey] is not Member m) return Task.CompletedTask;
            m.Connected = false;
            if (e.SessionExpiryInterval == 0) Forget(m);
        }
        return Task.CompletedTask;
    }

    private Task OnSessionDeletedAsync(SessionDeletedEventArgs e)
    {
        lock (_lock) if (e.SessionItems[SessionKey] is Member m) Forget(m);
        return Task.CompletedTask;
    }

    /// <summary>The member a group gives this message to: decided once per message, then the same for every receiver asked.</summary>
    private string? Choose(MqttApplicationMessage message, string group, string filter)
    {
        var choices = _choices.GetOrCreateValue(message);
        if (choices.TryGetValue((group, filter), out var chosen)) return chosen;
        if (!_groups.TryGetValue((group, filter), out var g) || g.Members.Count == 0) return null;
        chosen = null;
        for (var i = 0; i < g.Members.Count && chosen is null; i++)
        {
            var candidate = g.Members[(g.Next + i) % g.Members.Count];
            if (candidate.Connected) { chosen = candidate.ClientId; g.Next = (g.Next + i + 1) % g.Members.Count; }
        }
        // Nobody connected: a persistent session queues it for its member.
        chosen ??= g.Members[g.Next++ % g.Members.Count].ClientId;
        choices[(group, filter)] = chosen;
        return chosen;
    }

    private Member MemberOf(string clientId, System.Collections.IDictionary sessionItems)
    {
        if (sessionItems[SessionKey] is not Member member || member.ClientId != clientId)
        {
            member = new Member(clientId) { Connected = true };
            sessionItems[SessionKey] = member;
        }
        if (!_members.TryGetValue(clientId, out var current) || !ReferenceEquals(current, member))
        {
            if (current is not null) Forget(current);
            _members[clientId] = member;
        }
        return member;
    }

    private void Join(Member member, string group, string filter)
    {
        if (!member.Shared.TryGetValue(filter, out var groups)) member.Shared[filter] = groups = new HashSet<string>(StringComparer.Ordinal);
        if (!groups.Add(group)) return;
        if (!_groups.TryGetValue((group, filter), out var g)) _groups[(group, filter)] = g = new Group();
        g.Members.Add(member);
    }

    private void Leave(Member member, string group, string filter)
    {
        if (!member.Shared.TryGetValue(filter, out var groups) || !groups.Remove(group)) return;
        if (groups.Count == 0) member.Shared.Remove(filter);
        if (_groups.TryGetValue((group, filter), out var g))
        {
            g.Members.Remove(member);
            if (g.Members.Count == 0) _groups.Remove((group, filter));
        }
    }

    private void Forget(Member member)
    {
        foreach (var (filter, groups) in member.Shared.ToList())
            foreach (var group in groups.ToList()) Leave(member, group, filter);
        member.Plain.Clear();
        if (_members.TryGetValue(member.ClientId, out var current) && ReferenceEquals(current, member)) _members.Remove(member.ClientId);
    }

    private sealed class Member(string clientId)
    {
        public string ClientId { get; } = clientId;
        public bool Connected { get; set; }
        public HashSet<string> Plain { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, HashSet<string>> Shared { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Group
    {
        public List<Member> Members { get; } = [];
        public int Next { get; set; }
    }
}
