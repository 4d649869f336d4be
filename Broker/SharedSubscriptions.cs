using System.Runtime.CompilerServices;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// Shared subscriptions (MQTT v5 4.8.2), which MQTTnet 5.2 refuses (SUBACK 0x9E). A "$share/{group}/{filter}"
/// subscription is handed to MQTTnet as a plain subscription to {filter} without retained messages (3.3.1.3 sends
/// them only for non-shared subscriptions), and when a message is queued for a session that holds it only through
/// a group, the session gets it only if it is the member the group picked for that message: the groups' members
/// take turns, connected members first.
/// </summary>
internal sealed class SharedSubscriptions
{
    private const string Prefix = "$share/";
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<(string Group, string Filter)>> _byClient = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Group, string Filter), List<string>> _members = [];
    private readonly Dictionary<(string Group, string Filter), int> _turn = [];
    private readonly ConditionalWeakTable<MqttApplicationMessage, Dictionary<(string, string), string>> _picked = [];

    /// <summary>Rewrites "$share/..." filters of a SUBSCRIBE and records the client as a member of each group.</summary>
    public void OnSubscribe(string clientId, MqttSubscribePacket subscribe)
    {
        foreach (var filter in subscribe.TopicFilters)
        {
            if (!TryParse(filter.Topic, out var group, out var plain)) continue;
            filter.Topic = plain;
            filter.RetainHandling = MqttRetainHandling.DoNotSendOnSubscribe;
            lock (_lock)
            {
                if (!_byClient.TryGetValue(clientId, out var groups)) _byClient[clientId] = groups = [];
                if (!groups.Add((group, plain))) continue;
                if (!_members.TryGetValue((group, plain), out var members)) _members[(group, plain)] = members = [];
                members.Add(clientId);
            }
        }
    }

    /// <summary>Rewrites "$share/..." filters of an UNSUBSCRIBE and takes the client out of those groups.</summary>
    public void OnUnsubscribe(string clientId, MqttUnsubscribePacket unsubscribe)
    {
        for (var i = 0; i < unsubscribe.TopicFilters.Count; i++)
        {
            if (!TryParse(unsubscribe.TopicFilters[i], out var group, out var plain)) continue;
            unsubscribe.TopicFilters[i] = plain;
            lock (_lock) Leave(clientId, group, plain);
        }
    }

    /// <summary>The session ended (or started clean): it leaves every group.</summary>
    public void Forget(string clientId)
    {
        lock (_lock)
        {
            if (!_byClient.TryGetValue(clientId, out var groups)) return;
            foreach (var (group, filter) in groups.ToList()) Leave(clientId, group, filter);
        }
    }

    /// <summary>Whether a message MQTTnet is about to queue for <paramref name="clientId"/> should be queued.</summary>
    public bool ShouldDeliver(string clientId, MqttApplicationMessage message, Func<string, bool> isConnected)
    {
        lock (_lock)
        {
            if (!_byClient.TryGetValue(clientId, out var groups)) return true;
            var matching = groups.Where(g => MqttTopicFilterComparer.Compare(message.Topic, g.Filter) == MqttTopicFilterCompareResult.IsMatch).ToList();
            if (matching.Count == 0) return true;
            var picked = _picked.GetValue(message, _ => []);
            foreach (var key in matching)
            {
                if (!picked.TryGetValue(key, out var member)) picked[key] = member = Pick(key, isConnected);
                if (member == clientId) return true;
            }
            return false;
        }
    }

    private string Pick((string Group, string Filter) key, Func<string, bool> isConnected)
    {
        var members = _members[key];
        var connected = members.Where(isConnected).ToList();
        var candidates = connected.Count > 0 ? connected : members;
        var turn = _turn.GetValueOrDefault(key);
        _turn[key] = turn + 1;
        return candidates[(int)((uint)turn % (uint)candidates.Count)];
    }

    private void Leave(string clientId, string group, string filter)
    {
        if (_byClient.TryGetValue(clientId, out var groups) && groups.Remove((group, filter)) && groups.Count == 0) _byClient.Remove(clientId);
        if (!_members.TryGetValue((group, filter), out var members)) return;
        members.Remove(clientId);
        if (members.Count > 0) return;
        _members.Remove((group, filter));
        _turn.Remove((group, filter));
    }

    /// <summary>The filter a "$share/{group}/{filter}" subscription matches topics with; any other filter as it is.</summary>
    public static string PlainFilter(string topicFilter) => TryParse(topicFilter, out _, out var filter) ? filter : topicFilter;

    private static bool TryParse(string topicFilter, out string group, out string filter)
    {
        group = filter = "";
        if (!topicFilter.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var slash = topicFilter.IndexOf('/', Prefix.Length);
        if (slash <= Prefix.Length || slash == topicFilter.Length - 1) return false;
        group = topicFilter[Prefix.Length..slash];
        filter = topicFilter[(slash + 1)..];
        return group.IndexOfAny(['+', '#']) < 0;
    }
}
