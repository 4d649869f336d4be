using MqttIoT.Hub.Index;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Hub.Queries;

/// <summary>What a hub query handler gets: the parsed body, the index, the limits.</summary>
internal sealed class HubQueryContext(HubQueryType type, HubQueryBody body, HubIndex index, HubOptions options)
{
    public HubQueryType Type { get; } = type;
    public HubQueryBody Body { get; } = body;
    public HubIndex Index { get; } = index;
    public HubOptions Options { get; } = options;

    public string RequireStation() =>
        string.IsNullOrEmpty(Body.Station) ? throw BadRequest("option 'station' is required") : Body.Station;

    public string RequireDevice() =>
        string.IsNullOrEmpty(Body.Device) ? throw BadRequest("option 'device' is required") : Body.Device;

    /// <summary>The page size: <c>limit</c> within 1..max, or the default.</summary>
    public int Limit(int defaultLimit, int maxLimit) => Body.Limit switch
    {
        null => defaultLimit,
        { } l when l >= 1 && l <= maxLimit => l,
        { } l => throw BadRequest($"'limit' must be 1..{maxLimit}, not {l}"),
    };

    public static IoTException BadRequest(string message) => new(ErrorCode.BadRequest, message);
}
