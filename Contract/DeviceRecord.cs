namespace MqttIoT.Sdk.Contract;

/// <summary>What the hub knows about a device: GET_DEVICE's data, and the items of FIND_DEVICES.</summary>
public sealed record DeviceRecord
{
    /// <summary>The device id.</summary>
    public required string Id { get; init; }
    /// <summary>The station that holds it (the station of its topics): with <see cref="Id"/>, what identifies the device.</summary>
    public string? Station { get; init; }
    /// <summary>Whether it is connected now: its availability is <c>online</c> and the record is not stale.</summary>
    public bool Online { get; init; }
    /// <summary>
    /// True when nobody keeps the record current: its station went offline (a gateway that stopped or died) or left.
    /// A stale device is never reported online.
    /// </summary>
    public bool Stale { get; init; }
    /// <summary>When the hub first indexed the device (kept across hub restarts).</summary>
    public DateTimeOffset FirstSeen { get; init; }
    /// <summary>When the hub last saw a change or an event of the device.</summary>
    public DateTimeOffset LastSeen { get; init; }
    /// <summary>The device's latest props, as its gateway retains them.</summary>
    public required DeviceProps Props { get; init; }
    /// <summary>The last value the device notified for each key the hub has seen notified.</summary>
    public IReadOnlyDictionary<string, NotifiedValue> Notified { get; init; } = new Dictionary<string, NotifiedValue>();
}
