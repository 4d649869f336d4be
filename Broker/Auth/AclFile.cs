using MQTTnet;

namespace MqttIoT.Broker.Auth;

/// <summary>
/// A Mosquitto ACL file (<c>acl_file</c>), read the way Mosquitto reads it, so one file serves both brokers:
/// <c>topic [read|write|readwrite|deny] filter</c> lines apply to anonymous clients until the first
/// <c>user name</c> line and to that user after it; <c>pattern</c> lines apply to everyone, with <c>%u</c> and
/// <c>%c</c> replaced by the user name and client id (a pattern is skipped for a name containing +, # or /).
/// A deny that matches wins; otherwise access needs a matching grant.
/// </summary>
public sealed class AclFile
{
    private readonly List<Rule> _anonymous;
    private readonly Dictionary<string, List<Rule>> _users;
    private readonly List<Rule> _patterns;

    private AclFile(List<Rule> anonymous, Dictionary<string, List<Rule>> users, List<Rule> patterns)
    {
        _anonymous = anonymous;
        _users = users;
        _patterns = patterns;
    }

    /// <summary>What a rule grants.</summary>
    [Flags]
    public enum Access
    {
        /// <summary>Nothing.</summary>
        None = 0,
        /// <summary>Receive messages on matching topics.</summary>
        Read = 1,
        /// <summary>Publish to matching topics.</summary>
        Write = 2,
        /// <summary>Refuse matching topics whatever else grants them.</summary>
        Deny = 4,
    }

    /// <summary>Reads an ACL file.</summary>
    /// <exception cref="FormatException">A line is not one Mosquitto accepts.</exception>
    public static AclFile Load(string path) => Parse(File.ReadAllLines(path), path);

    /// <summary>Parses the lines of an ACL file.</summary>
    public static AclFile Parse(IEnumerable<string> lines, string source = "acl file")
    {
        var anonymous = new List<Rule>();
        var users = new Dictionary<string, List<Rule>>(StringComparer.Ordinal);
        var patterns = new List<Rule>();
        var current = anonymous;
        int number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var words = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            switch (words[0])
            {
                case "user" when words.Length == 2:
                    current = users.TryGetValue(words[1], out var list) ? list : users[words[1]] = [];
                    break;
                case "topic" when words.Length == 2:
                    current.Add(ParseRule(words[1], source, number));
                    break;
                case "pattern" when words.Length == 2:
                    patterns.Add(ParseRule(words[1], source, number));
                    break;
                default:
                    throw new FormatException($"{source}:{number}: expected 'user', 'topic' or 'pattern', got '{line}'");
            }
        }
        return new AclFile(anonymous, users, patterns);
    }

    /// <summary>Whether the client may publish to <paramref name="topic"/>.</summary>
    public bool CanWrite(string? user, string clientId, string topic) => Allowed(user, clientId, Access.Write, f => Matches(topic, f));

    /// <summary>Whether the client may receive a message published to <paramref name="topic"/>.</summary>
    public bool CanRead(string? user, string clientId, string topic) => Allowed(user, clientId, Access.Read, f => Matches(topic, f));

    /// <summary>
    /// Whether the client may subscribe to <paramref name="filter"/>: some topic it may read must match the filter
    /// (each message is still checked with <see cref="CanRead"/> on delivery, as Mosquitto does).
    /// A shared subscription is checked for the filter after <c>$share/group/</c>.
    /// </summary>
    public bool CanSubscribe(string? user, string clientId, string filter)
    {
        if (filter.StartsWith("$share/", StringComparison.Ordinal))
        {
            var parts = filter.Split('/', 3);
            if (parts.Length < 3) return false;
            filter = parts[2];
        }
        return Allowed(user, clientId, Access.Read, f => Overlap(filter, f), denyNeedsCover: true, filter);
    }

    private bool Allowed(string? user, string clientId, Access wanted, Func<string, bool> applies, bool denyNeedsCover = false, string? subscription = null)
    {
        bool granted = false;
        foreach (var (access, filter) in RulesFor(user, clientId))
        {
            bool matches = applies(filter);
            if (!matches) continue;
            // A deny blocks a subscription only when it covers all of it; a narrower deny is applied per message.
            if ((access & Access.Deny) != 0)
            {
                if (!denyNeedsCover || Matches(subscription!, filter) || filter == subscription) return false;
                continue;
            }
            if ((access & wanted) != 0) granted = true;
        }
        return granted;
    }

    private IEnumerable<(Access, string)> RulesFor(string? user, string clientId)
    {
        var own = user is null ? _anonymous : _users.GetValueOrDefault(user) ?? [];
        foreach (var rule in own) yield return (rule.Access, rule.Filter);
        foreach (var rule in _patterns)
        {
            bool usesUser = rule.Filter.Contains("%u", StringComparison.Ordinal), usesClient = rule.Filter.Contains("%c", StringComparison.Ordinal);
            if (usesUser && (user is null || !SafeForPattern(user))) continue;
            if (usesClient && !SafeForPattern(clientId)) continue;
            var filter = rule.Filter;
            if (usesUser) filter = filter.Replace("%u", user, StringComparison.Ordinal);
            if (usesClient) filter = filter.Replace("%c", clientId, StringComparison.Ordinal);
            yield return (rule.Access, filter);
        }
    }

    private static bool SafeForPattern(string name) => name.Length > 0 && name.AsSpan().IndexOfAny("+#/") < 0;

    private static bool Matches(string topic, string filter) =>
        MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch;

    /// <summary>Whether some topic matches both filters.</summary>
    internal static bool Overlap(string a, string b)
    {
        var x = a.Split('/');
        var y = b.Split('/');
        int i = 0;
        for (; i < x.Length && i < y.Length; i++)
        {
            if (x[i] == "#" || y[i] == "#") return true;
            if (x[i] == "+" || y[i] == "+" || x[i] == y[i]) continue;
            return false;
        }
        // "a/#" also matches "a" itself.
        return x.Length == y.Length || (x.Length == i + 1 && x[i] == "#") || (y.Length == i + 1 && y[i] == "#");
    }

    private static Rule ParseRule(string text, string source, int number)
    {
        var parts = text.Split(' ', 2, StringSplitOptions.TrimEntries);
        var access = parts[0] switch
        {
            "read" => Access.Read,
            "write" => Access.Write,
            "readwrite" => Access.Read | Access.Write,
            "deny" => Access.Deny,
            _ => Access.None,
        };
        // "topic a/b" without an access type means readwrite in Mosquitto.
        if (access == Access.None) return new Rule(Access.Read | Access.Write, text);
        if (parts.Length < 2 || parts[1].Length == 0) throw new FormatException($"{source}:{number}: missing topic after '{parts[0]}'");
        return new Rule(access, parts[1]);
    }

    private sealed record Rule(Access Access, string Filter);
}
