namespace MqttIoT.Sdk.Contract;

/// <summary>
/// A device as LIST_DEVICES names it: its id and the station that holds it. A device id is unique only within its
/// station, so the pair is what tells two stations' <c>dev-0001</c> apart.
/// </summary>
public sealed record DeviceAddress
{
    /// <summary>The device id.</summary>
    public required string Id { get; init; }
    /// <summary>The station that holds it.</summary>
    public required string Station { get; init; }
}
