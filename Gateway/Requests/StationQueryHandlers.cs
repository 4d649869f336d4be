using MqttIoT.Gateway.Backends;
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
        .Map(StationQueryType.GetDeviceKeys, (c, _) => Result(HandlerResult.Of(c.RequireKnownDevice().GetKeys(), ContractJson.Default.IReadOnlyListString)));

    private static Task<HandlerResult> Result(HandlerResult result) => Task.FromResult(result);

    private static Task<HandlerResult> Ids(IReadOnlyList<IDeviceBackend> devices) =>
        Result(HandlerResult.Of(devices.Select(d => d.Id).ToList(), ContractJson.Default.ListString));

    private static Task<HandlerResult> Props(IReadOnlyList<IDeviceBackend> devices) =>
        Result(HandlerResult.Of(devices.ToDictionary(d => d.Id, d => d.GetProps(), StringComparer.Ordinal), ContractJson.Default.DictionaryStringDeviceProps));
}
