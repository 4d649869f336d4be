using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>
/// A typed builder of the hub's filter language (topics.md, "Filters") for <see cref="IoTHubClient.FindDevicesAsync"/>
/// and <see cref="IoTHubClient.FindStationsAsync"/>. Paths are dotted (<c>attributes.model</c>); record fields
/// (<c>online</c>, <c>stale</c>, <c>station</c>, <c>lastSeen</c>, <c>notified.temperature.text</c>...) and props paths
/// are both allowed. Every condition must hold.
/// </summary>
/// <example><code>
/// var filter = new HubFilter().Eq("attributes.model", "sim-thermostat").Eq("online", true).Gte("attributes.index", 3);
/// </code></example>
public sealed class HubFilter
{
    private readonly JsonObject _root = [];

    /// <summary>The field equals the value.</summary>
    public HubFilter Eq(string path, string value) => Set(path, JsonValue.Create(value));
    /// <summary>The field equals the number.</summary>
    public HubFilter Eq(string path, double value) => Set(path, JsonValue.Create(value));
    /// <summary>The field equals the boolean.</summary>
    public HubFilter Eq(string path, bool value) => Set(path, JsonValue.Create(value));
    /// <summary>The field is null or missing.</summary>
    public HubFilter IsNull(string path) => Set(path, null);

    /// <summary>The field does not equal the value (a missing field does not equal it either).</summary>
    public HubFilter Ne(string path, string value) => Op(path, "$ne", JsonValue.Create(value));
    /// <summary>The field does not equal the number.</summary>
    public HubFilter Ne(string path, double value) => Op(path, "$ne", JsonValue.Create(value));
    /// <summary>The field does not equal the boolean.</summary>
    public HubFilter Ne(string path, bool value) => Op(path, "$ne", JsonValue.Create(value));

    /// <summary>The field equals one of the values.</summary>
    public HubFilter In(string path, params IEnumerable<string> values) => Op(path, "$in", new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]));
    /// <summary>The field equals one of the numbers.</summary>
    public HubFilter In(string path, params IEnumerable<double> values) => Op(path, "$in", new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]));

    /// <summary>The field is greater than the number.</summary>
    public HubFilter Gt(string path, double value) => Op(path, "$gt", JsonValue.Create(value));
    /// <summary>The field is at least the number.</summary>
    public HubFilter Gte(string path, double value) => Op(path, "$gte", JsonValue.Create(value));
    /// <summary>The field is less than the number.</summary>
    public HubFilter Lt(string path, double value) => Op(path, "$lt", JsonValue.Create(value));
    /// <summary>The field is at most the number.</summary>
    public HubFilter Lte(string path, double value) => Op(path, "$lte", JsonValue.Create(value));
    /// <summary>The field sorts after the string (ordinal).</summary>
    public HubFilter Gt(string path, string value) => Op(path, "$gt", JsonValue.Create(value));
    /// <summary>The field sorts before the string (ordinal).</summary>
    public HubFilter Lt(string path, string value) => Op(path, "$lt", JsonValue.Create(value));
    /// <summary>The time field (<c>firstSeen</c>, <c>lastSeen</c>, <c>notified.{key}.at</c>) is later than the time.</summary>
    public HubFilter After(string path, DateTimeOffset time) => Op(path, "$gt", JsonValue.Create(Iso(time)));
    /// <summary>The time field is earlier than the time.</summary>
    public HubFilter Before(string path, DateTimeOffset time) => Op(path, "$lt", JsonValue.Create(Iso(time)));

    /// <summary>The field is present (or, with false, absent).</summary>
    public HubFilter Exists(string path, bool exists = true) => Op(path, "$exists", JsonValue.Create(exists));

    /// <summary>The string field matches the .NET regular expression (run without backtracking: no backreferences or lookarounds).</summary>
    public HubFilter Regex(string path, string pattern, bool ignoreCase = false)
    {
        Op(path, "$regex", JsonValue.Create(pattern));
        return ignoreCase ? Op(path, "$options", JsonValue.Create("i")) : this;
    }

    /// <summary>A filter from the JSON text of the wire (<c>{"attributes.model":"sim-thermostat","online":true}</c>), as a person types it.</summary>
    /// <exception cref="FormatException">The text is not JSON, or not a JSON object. (Whether its paths and operators are valid is the hub's to say.)</exception>
    public static HubFilter Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException ex) { throw new FormatException($"the filter is not JSON: {ex.Message}", ex); }
        if (node is not JsonObject obj) throw new FormatException("the filter must be a JSON object, such as {\"online\":true}");
        var filter = new HubFilter();
        foreach (var (path, value) in obj)
        {
            if (path.Length == 0) throw new FormatException("the filter has an empty path");
            filter._root[path] = value?.DeepClone();
        }
        return filter;
    }

    /// <summary>The filter as the JSON object of the wire.</summary>
    public JsonObject ToJson() => (JsonObject)_root.DeepClone();

    /// <summary>The filter as the JSON text of the wire.</summary>
    public override string ToString() => _root.ToJsonString();

    internal JsonElement ToElement() => JsonSerializer.SerializeToElement(_root, ContractJson.Default.JsonObject);

    private HubFilter Set(string path, JsonNode? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (_root[path] is JsonObject) throw new ArgumentException($"'{path}' already has operators; equality cannot be added", nameof(path));
        _root[path] = value;
        return this;
    }

    private HubFilter Op(string path, string op, JsonNode value)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!_root.ContainsKey(path)) _root[path] = new JsonObject();
        if (_root[path] is not JsonObject ops) throw new ArgumentException($"'{path}' already has an equality; operators cannot be added", nameof(path));
        ops[op] = value;
        return this;
    }

    private static string Iso(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
