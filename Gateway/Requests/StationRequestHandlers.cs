using MqttIoT.Protocol.Requests;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Requests;

/// <summary>Handlers of the station requests.</summary>
internal static class StationRequestHandlers
{
    public static void Register(HandlerTable<RequestContext> table) => table
        .Map(StationRequestType.Start, (c, ct) => Done(c.Station.StartAsync(ct)))
        .Map(StationRequestType.Stop, (c, ct) => Done(c.Station.StopAsync(ct)))
        .Map(StationRequestType.Connect, (c, ct) => Done(c.Station.ConnectAsync(c.RequireKnownDevice().Id, ct)))
        .Map(StationRequestType.Disconnect, (c, ct) => Done(c.Station.DisconnectAsync(c.RequireKnownDevice().Id, ct)))
        .Map(StationRequestType.StartDiscovery, (c, ct) => Done(c.Station.StartDiscoveryAsync(ct)))
        .Map(StationRequestType.StopDiscovery, (c, ct) => Done(c.Station.StopDiscoveryAsync(ct)))
        .Map(StationRequestType.EnableDiscovery, (c, ct) => Done(c.Station.EnableDiscoveryAsync(ct)))
        .Map(StationRequestType.DisableDiscovery, (c, ct) => Done(c.Station.DisableDiscoveryAsync(ct)));

    internal static async Task<HandlerResult> Done(Task operation)
    {
        await operation.ConfigureAwait(false);
        return HandlerResult.None;
    }
}
