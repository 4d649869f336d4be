using MqttIoT.Protocol.Requests;

namespace MqttIoT.Gateway.Requests;

/// <summary>The gateway's handler table: every station request, station query and device request of the contract.</summary>
public static class RequestHandlers
{
    /// <summary>A frozen table with every handler registered.</summary>
    public static HandlerTable<RequestContext> CreateDefault()
    {
        var table = new HandlerTable<RequestContext>();
        StationRequestHandlers.Register(table);
        StationQueryHandlers.Register(table);
        DeviceRequestHandlers.Register(table);
        return table.Freeze();
    }
}
