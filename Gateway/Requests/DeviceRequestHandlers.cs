using MqttIoT.Protocol.Requests;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Requests;

/// <summary>Handlers of the device requests. The dispatcher runs them one at a time per device.</summary>
internal static class DeviceRequestHandlers
{
    public static void Register(HandlerTable<RequestContext> table) => table
        .Map(DeviceRequestType.Reset, (c, ct) => StationRequestHandlers.Done(c.Device.ResetAsync(ct)))
        .Map(DeviceRequestType.Disconnect, (c, ct) => StationRequestHandlers.Done(c.Device.DisconnectAsync(ct)))
        .Map(DeviceRequestType.StartNotify, (c, ct) => StationRequestHandlers.Done(c.Device.EnableNotificationsAsync(c.RequireKey(), ct)))
        .Map(DeviceRequestType.StopNotify, (c, ct) => StationRequestHandlers.Done(c.Device.DisableNotificationsAsync(c.RequireKey(), ct)))
        .Map(DeviceRequestType.SetTime, async (c, ct) => HandlerResult.Of(await c.Device.SetTimeAsync(ct).ConfigureAwait(false), ContractJson.Default.TimeReply))
        .Map(DeviceRequestType.SyncTime, async (c, ct) => HandlerResult.Of(await c.Device.SyncTimeAsync(ct).ConfigureAwait(false), ContractJson.Default.TimeReply))
        .Map(DeviceRequestType.ReadValue, ReadValueAsync)
        .Map(DeviceRequestType.WriteValue, WriteValueAsync);

    private static async Task<HandlerResult> ReadValueAsync(RequestContext c, CancellationToken ct)
    {
        var key = c.RequireKey();
        var bytes = await c.Device.ReadValueAsync(key, ct).ConfigureAwait(false);
        return HandlerResult.Of(new ValueReply(key, ValueCodec.ToHex(bytes), ValueCodec.ToText(bytes)), ContractJson.Default.ValueReply);
    }

    private static async Task<HandlerResult> WriteValueAsync(RequestContext c, CancellationToken ct)
    {
        var key = c.RequireKey();
        var value = c.RequireValue();
        var written = await c.Device.WriteValueAsync(key, value, c.Body.WithResponse ?? true, ct).ConfigureAwait(false);
        return HandlerResult.Of(new WriteReply(key, written), ContractJson.Default.WriteReply);
    }
}
