using System.Text.Json.Serialization.Metadata;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Publishing;
using MqttIoT.Protocol.Requests;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Requests;

/// <summary>
/// The gateway's part of the request pipeline: requests are routed to the station this gateway serves and its devices,
/// and admitted one at a time per device (its own requests and station requests naming it) and at most
/// <see cref="GatewayOptions.MaxConcurrency"/> at once overall.
/// </summary>
internal sealed class GatewayRoutes : IRequestRoutes<RequestBody, RequestContext>, IDisposable
{
    private readonly IStationBackend _station;
    private readonly HandlerTable<RequestContext> _handlers;
    private readonly DeviceTurns _turns = new();
    private readonly SemaphoreSlim _executing;
    private readonly EventOutbox _outbox;

    public GatewayRoutes(IStationBackend station, HandlerTable<RequestContext> handlers, int maxConcurrency, EventOutbox outbox)
    {
        _outbox = outbox;
        _station = station;
        _handlers = handlers;
        _executing = new SemaphoreSlim(maxConcurrency);
    }

    /// <summary>Device ids with a request holding or waiting for their turn.</summary>
    public int DeviceTurns => _turns.Count;

    public JsonTypeInfo<RequestBody> BodyType => ContractJson.Default.RequestBody;

    public RequestBody EmptyBody { get; } = new();

    public (string? ResponseTopic, string? CorrelationId) BodyReplyAddress(RequestBody body) => (body.ResponseTopic, body.CorrelationId);

    public (RequestHandler<RequestContext> Handler, RequestContext Context) Route(in ParsedTopic topic, RequestBody body)
    {
        if (topic.Name is null)
            throw new IoTException(ErrorCode.BadRequest, "the topic has an id level that is not escaped as topics.md says (\"Ids in topics\")");
        if (topic.Station != _station.Id)
            throw new IoTException(ErrorCode.UnknownStation, $"this gateway serves station '{_station.Id}', not '{topic.Station}'");
        if (!_handlers.TryGet(topic, out var handler))
            throw new IoTException(ErrorCode.Unsupported, $"'{topic.Name}' is not a {topic.Scope.ToString().ToLowerInvariant()} {topic.Kind.ToString().ToLowerInvariant()} type this gateway supports");

        IDeviceBackend? device = null;
        if (topic.Scope == TopicScope.Device)
            device = _station.FindDevice(topic.Id) ?? throw new IoTException(ErrorCode.UnknownDevice, $"station '{_station.Id}' knows no device '{topic.Id}'");
        // Station requests naming a device (CONNECT, DISCONNECT) take that device's turn too; queries only read.
        var turn = device?.Id ?? (topic.Kind == TopicKind.Request && !string.IsNullOrEmpty(body.Device) ? body.Device : null);
        return (handler, new RequestContext(_station, device, body, turn) { Outbox = _outbox });
    }

    public async ValueTask<IDisposable?> AdmitAsync(RequestContext context, CancellationToken cancellationToken)
    {
        var turn = context.TurnOf is { } id ? await _turns.WaitAsync(id, cancellationToken).ConfigureAwait(false) : null;
        try
        {
            await _executing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            turn?.Dispose();
            throw;
        }
        return new Admission(turn, _executing);
    }

    public bool TryClassify(Exception exception, out ErrorCode code, out string message)
    {
        (code, message) = (default, "");
        return false;
    }

    public void Dispose() => _executing.Dispose();

    private sealed class Admission(IDisposable? turn, SemaphoreSlim executing) : IDisposable
    {
        public void Dispose()
        {
            executing.Release();
            turn?.Dispose();
        }
    }
}
