using System.Text.Json.Serialization.Metadata;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Protocol.Requests;

/// <summary>
/// What one service adds to the shared <see cref="RequestPipeline{TBody, TContext}"/>: the body type it reads, how a
/// topic finds its handler and context, what a request must be admitted through before it runs, and the failures only
/// that service raises. Everything else (parsing, reply address, duplicates, deadline, envelope, logs) is the pipeline's.
/// </summary>
/// <typeparam name="TBody">The JSON body of the service's requests.</typeparam>
/// <typeparam name="TContext">What its handlers receive.</typeparam>
public interface IRequestRoutes<TBody, TContext> where TBody : class
{
    /// <summary>The source-generated metadata of the body.</summary>
    JsonTypeInfo<TBody> BodyType { get; }

    /// <summary>The body of an empty payload.</summary>
    TBody EmptyBody { get; }

    /// <summary>The MQTT 3.1.1 fallback reply address in the body (<c>responseTopic</c>, <c>correlationId</c>).</summary>
    (string? ResponseTopic, string? CorrelationId) BodyReplyAddress(TBody body);

    /// <summary>
    /// The handler and context of a request; throws <see cref="Sdk.IoTException"/> when the topic names no handler or
    /// nothing it can address (UNSUPPORTED, UNKNOWN_STATION, UNKNOWN_DEVICE, BAD_REQUEST).
    /// </summary>
    (RequestHandler<TContext> Handler, TContext Context) Route(in ParsedTopic topic, TBody body);

    /// <summary>
    /// Waits until the request may run (the gateway: its device's turn and a concurrency slot) and returns what
    /// releases that when it is done; null when nothing is held. Cancelled by the request's deadline.
    /// </summary>
    ValueTask<IDisposable?> AdmitAsync(TContext context, CancellationToken cancellationToken);

    /// <summary>The wire code and message of a failure only this service knows, such as the hub's filter errors; false for any other.</summary>
    bool TryClassify(Exception exception, out ErrorCode code, out string message);
}
