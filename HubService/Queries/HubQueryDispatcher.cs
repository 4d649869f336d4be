using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MqttIoT.Hub.Filtering;
using MqttIoT.Hub.Index;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;

namespace MqttIoT.Hub.Queries;

/// <summary>
/// Takes hub queries off the MQTT receive loop through a bounded channel and answers them with
/// <see cref="HubOptions.QueryConcurrency"/> workers, the way the gateway's RequestDispatcher does: the body is read
/// with the size limit, the handler is found by name in <see cref="HubQueryTable"/>, a query whose deadline
/// (MessageExpiryInterval) passed while it waited is not run, and every query with somewhere to reply to gets exactly
/// one reply, with the gateway's envelope and codes. A failure is logged once and never stops the hub.
/// </summary>
/// <remarks>
/// Not the gateway's dispatcher itself: that one serializes requests per device and looks up backends, neither of
/// which a query over memory needs; the shared part (body parsing, envelope, codes) is already <see cref="Responder"/>.
/// </remarks>
internal sealed partial class HubQueryDispatcher
{
    private readonly HubOptions _options;
    private readonly HubIndex _index;
    private readonly HubQueryTable _handlers;
    private readonly MqttSession _session;
    private readonly TopicTree _topics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Incoming> _queue;
    private long _answered;

    public HubQueryDispatcher(HubOptions options, HubIndex index, HubQueryTable handlers, MqttSession session, TopicTree topics,
        ILogger logger, TimeProvider time)
    {
        _options = options;
        _index = index;
        _handlers = handlers;
        _session = session;
        _topics = topics;
        _logger = logger;
        _time = time;
        _queue = Channel.CreateBounded<Incoming>(new BoundedChannelOptions(options.MaxPendingQueries)
        {
            SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queries answered (ok or error) since start.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Called from the receive loop: stamps the arrival time and queues (waiting when full: backpressure).</summary>
    public ValueTask EnqueueAsync(ReceivedMessage message, string? name)
    {
        var item = new Incoming(message, name, _time.GetTimestamp());
        return _queue.Writer.TryWrite(item) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(item);
    }

    public Task RunAsync(CancellationToken stopping) =>
        Task.WhenAll(Enumerable.Range(0, _options.QueryConcurrency).Select(_ => Task.Run(() => WorkAsync(stopping), CancellationToken.None)));

    private async Task WorkAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
                await ProcessAsync(item, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }

    private async Task ProcessAsync(Incoming item, CancellationToken stopping)
    {
        var message = item.Message;
        var replyTo = message.ResponseTopic;
        string? correlationId = null;
        MqttApplicationMessage reply;
        try
        {
            if (!Responder.TryParseBody(message.Payload, _options.MaxQueryBytes, ContractJson.Default.HubQueryBody, Empty, out var body, out var parseError))
                throw new IoTException(ErrorCode.BadRequest, parseError);
            (replyTo, correlationId) = Responder.ReplyAddress(message, body.ResponseTopic, body.CorrelationId);
            if (replyTo is not null && !_topics.IsAllowedResponseTopic(replyTo))
            {
                LogRefusedResponseTopic(message.Topic, replyTo);
                return;
            }
            if (replyTo is null) return; // a query nobody reads the answer of changes nothing: skip it
            if (!_handlers.TryGet(item.Name, out var type, out var handler))
                throw new IoTException(ErrorCode.Unsupported, $"'{item.Name}' is not a hub query; the hub answers {string.Join(", ", WireName<HubQueryType>.All)}");
            if (Budget(item) <= TimeSpan.Zero)
                throw new IoTException(ErrorCode.DeadlineExceeded, "the query's deadline passed before it started; it was not run");
            stopping.ThrowIfCancellationRequested();
            var data = handler(new HubQueryContext(type, body, _index, _options));
            reply = Responder.Ok(replyTo, message.CorrelationData, correlationId, data, HubJson.Default.RawJson);
        }
        catch (Exception ex)
        {
            if (replyTo is null || !_topics.IsAllowedResponseTopic(replyTo)) { Classify(ex, message.Topic, stopping); return; }
            var (code, text) = Classify(ex, message.Topic, stopping);
            reply = Responder.Error(replyTo, message.CorrelationData, correlationId, code, text);
        }
        Interlocked.Increment(ref _answered);
        try { await _session.PublishAsync(reply, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) when (ex is IoTException or MQTTnet.Exceptions.MqttCommunicationException or ObjectDisposedException)
        {
            LogReplyFailed(reply.Topic, ex.Message);
        }
    }

    private TimeSpan Budget(Incoming item)
    {
        return Responder.Deadline(item.Message, _options.DefaultQueryTimeout) - _time.GetElapsedTime(item.ArrivedAt);
    }

    private (ErrorCode, string) Classify(Exception ex, string topic, CancellationToken stopping)
    {
        switch (ex)
        {
            case IoTException iot:
                LogQueryFailed(topic, WireName<ErrorCode>.Of(iot.Code), iot.Message);
                return (iot.Code, iot.Message);
            case FilterException bad:
                LogQueryFailed(topic, "BAD_REQUEST", bad.Message);
                return (ErrorCode.BadRequest, bad.Message);
            case OperationCanceledException when stopping.IsCancellationRequested:
                LogQueryFailed(topic, "UNAVAILABLE", "hub stopping");
                return (ErrorCode.Unavailable, "the hub is stopping");
            case RegexMatchTimeoutException:
                LogQueryFailed(topic, "BAD_REQUEST", ex.Message);
                return (ErrorCode.BadRequest, "the $regex took too long to match; use a simpler pattern");
            default:
                LogInternalFailure(ex, topic);
                return (ErrorCode.Internal, $"the hub failed to answer: {ex.Message}");
        }
    }

    private static readonly HubQueryBody Empty = new();

    private sealed record Incoming(ReceivedMessage Message, string? Name, long ArrivedAt);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Hub query on {Topic} failed with {Code}: {Error}")]
    private partial void LogQueryFailed(string topic, string code, string error);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Error, Message = "Hub query on {Topic} failed inside the hub")]
    private partial void LogInternalFailure(Exception exception, string topic);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Hub query on {Topic} names response topic '{ResponseTopic}', which is not allowed; no reply sent")]
    private partial void LogRefusedResponseTopic(string topic, string responseTopic);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Could not send the reply to {Topic}: {Error}")]
    private partial void LogReplyFailed(string topic, string error);
}
