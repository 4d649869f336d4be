namespace MqttIoT.Sdk.Contract;

/// <summary>What the hub knows about a station: GET_STATION's data, and the items of FIND_STATIONS.</summary>
public sealed record StationRecord
{
    /// <summary>The station id.</summary>
    public required string Id { get; init; }
    /// <summary>Whether its gateway is up: its availability is <c>online</c>.</summary>
    public bool Online { get; init; }
    /// <summary>True while the station is not online: its props are the last its gateway published.</summary>
    public bool Stale { get; init; }
    /// <summary>When the hub first indexed the station (kept across hub restarts).</summary>
    public DateTimeOffset FirstSeen { get; init; }
    /// <summary>When the hub last saw a change or an event of the station.</summary>
    public DateTimeOffset LastSeen { get; init; }
    /// <summary>How many devices of the index this station holds.</summary>
    public int Devices { get; init; }
    /// <summary>The station's latest props.</summary>
    public required StationProps Props { get; init; }
}
