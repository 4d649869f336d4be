using System.Text.Json;
using MqttIoT.Gateway.Backends;
using MqttIoT.Sdk;
using MqttIoT.Protocol.Requests;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Requests;

/// <summary>Handlers of the station queries; they read backend state from memory and change nothing.</summary>
internal static class StationQueryHandlers
{
    public static void Register(HandlerTable<RequestContext> table) => table
        .Map(StationQueryType.GetProps, (c, _) => Result(HandlerResult.Of(c.Station.GetProps(), ContractJson.Default.StationProps)))
        .Map(StationQueryType.GetKnownDevices, (c, _) => Props(c.Station.GetKnownDevices()))
        .Map(StationQueryType.GetConnectedDevices, (c, _) => Props(c.Station.GetConnectedDevices()))
        .Map(StationQueryType.GetDiscoveredDevices, (c, _) => Props(c.Station.GetDiscoveredDevices()))
        .Map(StationQueryType.ListKnownDevices, (c, _) => Ids(c.Station.GetKnownDevices()))
        .Map(StationQueryType.ListConnectedDevices, (c, _) => Ids(c.Station.GetConnectedDevices()))
        .Map(StationQueryType.ListDiscoveredDevices, (c, _) => Ids(c.Station.GetDiscoveredDevices()))
        .Map(StationQueryType.GetDeviceProps, (c, _) => Result(HandlerResult.Of(c.RequireKnownDevice().GetProps(), ContractJson.Default.DeviceProps)))
        .Map(StationQueryType.GetDeviceKeys, (c, _) => Result(HandlerResult.Of(c.RequireKnownDevice().GetKeys(), ContractJson.Default.IReadOnlyListString)))
        .Map(StationQueryType.GetEvents, (c, _) => Result(HandlerResult.Of(GetEvents(c), ContractJson.Default.EventsReply)));

    /// <summary>The largest <c>limit</c> of GET_EVENTS.</summary>
    public const int MaxEventsLimit = 1000;
    private const int DefaultEventsLimit = 100;
    // With a types filter, a page looks at this many events at most and answers a next cursor to go on from.
    private const int MaxEventsScanned = 10 * MaxEventsLimit;

    private static readonly HashSet<string> EventTypes = [.. WireName<StationEventType>.All, .. WireName<DeviceEventType>.All];

    private static EventsReply GetEvents(RequestContext c)
    {
        var body = c.Body;
        if (body.After is < 0) throw BadRequest($"'after' must be a seq (0 or more), got {body.After}");
        var limit = body.Limit ?? DefaultEventsLimit;
        if (limit is < 1 or > MaxEventsLimit) throw BadRequest($"'limit' must be 1 to {MaxEventsLimit}, got {limit}");
        HashSet<string>? types = null;
        if (body.Types is { } asked)
        {
            var unknown = asked.Where(t => t is null || !EventTypes.Contains(t)).Select(t => t ?? "null").ToList();
            if (unknown.Count > 0) throw BadRequest($"unknown event types in 'types': {string.Join(", ", unknown)} (known: {string.Join(", ", EventTypes.Order(StringComparer.Ordinal))})");
            types = [.. asked];
        }
        var after = body.After ?? 0;
        var page = c.Outbox.Read(after, limit, types is null ? _ => true : types.Contains, MaxEventsScanned);
        if (after > page.Last) throw BadRequest($"'after' {after} is beyond the newest seq {page.Last}");
        // Nothing held is the same as everything after the newest being gone, unless the cursor is already there.
        if (body.After is not null && after < (page.First ?? page.Last + 1) - 1)
            throw new IoTException(ErrorCode.OutOfRange, page.First is { } first
                ? $"the events after {after} are gone: the oldest seq held is {first}"
                : $"the events after {after} are gone: the outbox holds none (newest seq {page.Last})");
        var events = page.Events.Select(r => JsonSerializer.Deserialize(r.Payload, ContractJson.Default.EventMessage)!).ToList();
        return new EventsReply { Events = events, Next = page.Next, First = page.First, Last = page.Last };
    }

    private static IoTException BadRequest(string message) => new(ErrorCode.BadRequest, message);

    private static Task<HandlerResult> Result(HandlerResult result) => Task.FromResult(result);

    private static Task<HandlerResult> Ids(IReadOnlyList<IDeviceBackend> devices) =>
        Result(HandlerResult.Of(devices.Select(d => d.Id).ToList(), ContractJson.Default.ListString));

    private static Task<HandlerResult> Props(IReadOnlyList<IDeviceBackend> devices) =>
        Result(HandlerResult.Of(devices.ToDictionary(d => d.Id, d => d.GetProps(), StringComparer.Ordinal), ContractJson.Default.DictionaryStringDeviceProps));
}
