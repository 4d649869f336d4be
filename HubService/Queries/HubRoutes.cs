using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using MqttIoT.Hub.Filtering;
using MqttIoT.Hub.Index;
using MqttIoT.Protocol.Requests;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Hub.Queries;

/// <summary>
/// The hub's part of the request pipeline: a query is routed by its name to a handler over the index; nothing needs
/// admitting (queries read memory under the index's reader lock), and the filter language's errors are BAD_REQUEST.
/// </summary>
internal sealed class HubRoutes(HandlerTable<HubQueryContext> handlers, HubIndex index, HubOptions options)
    : IRequestRoutes<HubQueryBody, HubQueryContext>
{
    public JsonTypeInfo<HubQueryBody> BodyType => ContractJson.Default.HubQueryBody;

    public HubQueryBody EmptyBody { get; } = new();

    public (string? ResponseTopic, string? CorrelationId) BodyReplyAddress(HubQueryBody body) => (body.ResponseTopic, body.CorrelationId);

    public (RequestHandler<HubQueryContext> Handler, HubQueryContext Context) Route(in ParsedTopic topic, HubQueryBody body)
    {
        if (!handlers.TryGet(topic, out var handler) || !WireName<HubQueryType>.TryParse(topic.Name, out var type))
            throw new IoTException(ErrorCode.Unsupported, $"'{topic.Name}' is not a hub query; the hub answers {string.Join(", ", WireName<HubQueryType>.All)}");
        return (handler, new HubQueryContext(type, body, index, options));
    }

    public ValueTask<IDisposable?> AdmitAsync(HubQueryContext context, CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable?>(null);

    public bool TryClassify(Exception exception, out ErrorCode code, out string message)
    {
        (code, message) = exception switch
        {
            FilterException bad => (ErrorCode.BadRequest, bad.Message),
            RegexMatchTimeoutException => (ErrorCode.BadRequest, "the $regex took too long to match; use a simpler pattern"),
            _ => (default, ""),
        };
        return message.Length > 0;
    }
}
