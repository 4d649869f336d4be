namespace MqttIoT.Sdk.Contract;

/// <summary>
/// The topic grammar of the contract, and the only place topic strings are built or parsed.
/// Every pattern here is listed in topics.md ("Topic tree"); a test keeps the two in step.
/// </summary>
public sealed class TopicTree
{
    /// <summary>The default root of the tree.</summary>
    public const string DefaultRoot = "iot/v1";

    /// <summary>The share name hub replicas use for their query subscription.</summary>
    public const string HubShareGroup = "mqttiot-hub";

    /// <summary>The patterns of the tree, with <c>{placeholders}</c>, as topics.md lists them.</summary>
    public static IReadOnlyList<string> Patterns { get; } =
    [
        "{root}/stations/{station}/props",
        "{root}/stations/{station}/availability",
        "{root}/stations/{station}/events/{STATION_EVENT}",
        "{root}/stations/{station}/requests/{STATION_REQUEST}",
        "{root}/stations/{station}/queries/{STATION_QUERY}",
        "{root}/stations/{station}/devices/{device}/props",
        "{root}/stations/{station}/devices/{device}/availability",
        "{root}/stations/{station}/devices/{device}/events/{DEVICE_EVENT}",
        "{root}/stations/{station}/devices/{device}/events/NOTIFIED/{key}",
        "{root}/stations/{station}/devices/{device}/requests/{DEVICE_REQUEST}",
        "{root}/hub/queries/{HUB_QUERY}",
        "{root}/clients/{client}/replies",
    ];

    private const string Stations = "stations", Devices = "devices", Hub = "hub", Clients = "clients";
    // A station's own topics and its devices' topics share the station level; "devices" cannot be a station topic kind.
    private const string PropsLevel = "props", AvailabilityLevel = "availability", EventsLevel = "events",
        RequestsLevel = "requests", QueriesLevel = "queries", RepliesLevel = "replies";

    private readonly string _root;

    /// <summary>Creates the tree under <paramref name="root"/> (default <c>iot/v1</c>).</summary>
    public TopicTree(string root = DefaultRoot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        root = root.Trim('/');
        if (root.AsSpan().IndexOfAny("+#") >= 0 || root.StartsWith('$'))
            throw new ArgumentException($"'{root}' cannot be a topic root", nameof(root));
        _root = root;
    }

    /// <summary>The root every topic starts with.</summary>
    public string Root => _root;

    /// <summary>Retained props of a station.</summary>
    public string StationProps(string station) => Station(station, PropsLevel);
    /// <summary>Retained availability of a station (its gateway's last will).</summary>
    public string StationAvailability(string station) => Station(station, AvailabilityLevel);
    /// <summary>Where a station publishes events of one type.</summary>
    public string StationEvent(string station, StationEventType type) => Station(station, EventsLevel, WireName<StationEventType>.Of(type));
    /// <summary>Where a station takes requests of one type.</summary>
    public string StationRequest(string station, StationRequestType type) => Station(station, RequestsLevel, WireName<StationRequestType>.Of(type));
    /// <summary>Where a station takes queries of one type.</summary>
    public string StationQuery(string station, StationQueryType type) => Station(station, QueriesLevel, WireName<StationQueryType>.Of(type));

    /// <summary>Retained props of a device of a station.</summary>
    public string DeviceProps(string station, string device) => Device(station, device, PropsLevel);
    /// <summary>Retained availability of a device (online while connected).</summary>
    public string DeviceAvailability(string station, string device) => Device(station, device, AvailabilityLevel);
    /// <summary>Where a device publishes events of one type; NOTIFIED also names the key.</summary>
    public string DeviceEvent(string station, string device, DeviceEventType type, string? key = null)
    {
        var topic = Device(station, device, EventsLevel, WireName<DeviceEventType>.Of(type));
        if (type != DeviceEventType.Notified) return topic;
        ArgumentException.ThrowIfNullOrEmpty(key);
        return $"{topic}/{TopicSegment.Escape(key)}";
    }
    /// <summary>Where a device takes requests of one type.</summary>
    public string DeviceRequest(string station, string device, DeviceRequestType type) =>
        Device(station, device, RequestsLevel, WireName<DeviceRequestType>.Of(type));

    /// <summary>Where the hub takes queries of one type.</summary>
    public string HubQuery(HubQueryType type) => $"{_root}/{Hub}/{QueriesLevel}/{WireName<HubQueryType>.Of(type)}";
    /// <summary>A client's reply inbox, given as ResponseTopic on its requests.</summary>
    public string ClientReplies(string clientId) => $"{_root}/{Clients}/{TopicSegment.Escape(clientId)}/{RepliesLevel}";

    /// <summary>Every request of one station.</summary>
    public string StationRequestsFilter(string station) => Station(station, RequestsLevel, "+");
    /// <summary>Every query of one station.</summary>
    public string StationQueriesFilter(string station) => Station(station, QueriesLevel, "+");
    /// <summary>Every request to every device of one station (the gateway answers UNKNOWN_DEVICE for ids it does not hold).</summary>
    public string StationDeviceRequestsFilter(string station) => $"{_root}/{Stations}/{TopicSegment.Escape(station)}/{Devices}/+/{RequestsLevel}/+";
    /// <summary>Hub queries, through the shared subscription that spreads them over hub replicas.</summary>
    public string HubQueriesSharedFilter => $"$share/{HubShareGroup}/{_root}/{Hub}/{QueriesLevel}/+";
    /// <summary>Props of every station.</summary>
    public string AllStationPropsFilter => $"{_root}/{Stations}/+/{PropsLevel}";
    /// <summary>Availability of every station.</summary>
    public string AllStationAvailabilityFilter => $"{_root}/{Stations}/+/{AvailabilityLevel}";
    /// <summary>Props of every device.</summary>
    public string AllDevicePropsFilter => $"{_root}/{Stations}/+/{Devices}/+/{PropsLevel}";
    /// <summary>Availability of every device.</summary>
    public string AllDeviceAvailabilityFilter => $"{_root}/{Stations}/+/{Devices}/+/{AvailabilityLevel}";

    /// <summary>Retained props of one station, or of every station.</summary>
    public string StationPropsFilter(string? station = null) => $"{_root}/{Stations}/{Level(station)}/{PropsLevel}";
    /// <summary>Retained availability of one station, or of every station.</summary>
    public string StationAvailabilityFilter(string? station = null) => $"{_root}/{Stations}/{Level(station)}/{AvailabilityLevel}";
    /// <summary>Retained props of devices, narrowed by station and device when given.</summary>
    public string DevicePropsFilter(string? station = null, string? device = null) => $"{_root}/{Stations}/{Level(station)}/{Devices}/{Level(device)}/{PropsLevel}";
    /// <summary>Retained availability of devices, narrowed by station and device when given.</summary>
    public string DeviceAvailabilityFilter(string? station = null, string? device = null) => $"{_root}/{Stations}/{Level(station)}/{Devices}/{Level(device)}/{AvailabilityLevel}";

    /// <summary>Station events, narrowed by station and type when given.</summary>
    public string StationEventsFilter(string? station = null, StationEventType? type = null) =>
        $"{_root}/{Stations}/{Level(station)}/{EventsLevel}/{(type is { } t ? WireName<StationEventType>.Of(t) : "+")}";

    /// <summary>Device events, narrowed by station, device, type and (for NOTIFIED) key when given.</summary>
    public string DeviceEventsFilter(string? station = null, string? device = null, DeviceEventType? type = null, string? key = null)
    {
        var prefix = $"{_root}/{Stations}/{Level(station)}/{Devices}/{Level(device)}/{EventsLevel}";
        if (key is not null && type is null) type = DeviceEventType.Notified;
        if (type is not { } t) return prefix + "/#";
        var name = WireName<DeviceEventType>.Of(t);
        if (t != DeviceEventType.Notified) return $"{prefix}/{name}";
        return $"{prefix}/{name}/{Level(key)}";
    }

    /// <summary>
    /// Whether a responder may publish a reply to <paramref name="topic"/>: a valid topic name, not inside the
    /// station or hub subtrees (a request must not make a gateway write over another device's topics).
    /// </summary>
    public bool IsAllowedResponseTopic(string? topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > 1024 || topic.AsSpan().IndexOfAny("+#\0") >= 0 || topic.StartsWith('$')) return false;
        foreach (var reserved in (ReadOnlySpan<string>)[Stations, Hub])
            if (topic.StartsWith($"{_root}/{reserved}/", StringComparison.Ordinal)) return false;
        return true;
    }

    /// <summary>Takes a topic of this tree apart; false for anything else.</summary>
    public bool TryParse(string topic, out ParsedTopic parsed)
    {
        parsed = default;
        if (topic.Length <= _root.Length + 1 || !topic.StartsWith(_root, StringComparison.Ordinal) || topic[_root.Length] != '/')
            return false;
        var levels = topic[(_root.Length + 1)..].Split('/');
        if (levels.Length < 2) return false;
        switch (levels[0])
        {
            case Hub when levels.Length == 3 && levels[1] == QueriesLevel:
                parsed = new ParsedTopic(TopicScope.Hub, "", TopicKind.Query, levels[2], null, null);
                return true;
            case Clients when levels.Length == 3 && levels[2] == RepliesLevel && TopicSegment.TryUnescape(levels[1], out var client):
                parsed = new ParsedTopic(TopicScope.Client, client, TopicKind.Replies, null, null, null);
                return true;
            case Stations when levels.Length >= 3 && TopicSegment.TryUnescape(levels[1], out var station):
                if (levels[2] != Devices) return TryParseTail(TopicScope.Station, station, station, levels.AsSpan(2), out parsed);
                return levels.Length >= 5 && TopicSegment.TryUnescape(levels[3], out var device)
                    && TryParseTail(TopicScope.Device, station, device, levels.AsSpan(4), out parsed);
            default:
                return false;
        }
    }

    private static bool TryParseTail(TopicScope scope, string station, string id, ReadOnlySpan<string> tail, out ParsedTopic parsed)
    {
        parsed = default;
        switch (tail[0])
        {
            case PropsLevel when tail.Length == 1:
                parsed = new(scope, id, TopicKind.Props, null, null, station); return true;
            case AvailabilityLevel when tail.Length == 1:
                parsed = new(scope, id, TopicKind.Availability, null, null, station); return true;
            case RequestsLevel when tail.Length == 2:
                parsed = new(scope, id, TopicKind.Request, tail[1], null, station); return true;
            case QueriesLevel when tail.Length == 2 && scope == TopicScope.Station:
                parsed = new(scope, id, TopicKind.Query, tail[1], null, station); return true;
            case EventsLevel when tail.Length == 2:
                parsed = new(scope, id, TopicKind.Event, tail[1], null, station); return true;
            case EventsLevel when tail.Length == 3 && scope == TopicScope.Device && TopicSegment.TryUnescape(tail[2], out var key):
                parsed = new(scope, id, TopicKind.Event, tail[1], key, station); return true;
            default:
                return false;
        }
    }

    private string Station(string station, string level) => $"{_root}/{Stations}/{TopicSegment.Escape(station)}/{level}";
    private string Station(string station, string level, string name) => $"{_root}/{Stations}/{TopicSegment.Escape(station)}/{level}/{name}";
    private string Device(string station, string device, string level) =>
        $"{_root}/{Stations}/{TopicSegment.Escape(station)}/{Devices}/{TopicSegment.Escape(device)}/{level}";
    private string Device(string station, string device, string level, string name) =>
        $"{_root}/{Stations}/{TopicSegment.Escape(station)}/{Devices}/{TopicSegment.Escape(device)}/{level}/{name}";
    private static string Level(string? id) => id is null ? "+" : TopicSegment.Escape(id);
}
