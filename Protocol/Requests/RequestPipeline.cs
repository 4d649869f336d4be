using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Protocol.Requests;

/// <summary>
/// The responder side of the contract's request/response, written once for the gateway and the hub. Requests come off
/// the MQTT receive loop through a bounded channel and each goes through the same steps:
/// read the body (size limit), find the reply address (ResponseTopic, or the body's for MQTT 3.1.1) and refuse one
/// inside the tree, answer a redelivered request from its earlier reply, find the handler (<see cref="IRequestRoutes{TBody, TContext}.Route"/>),
/// skip a request whose deadline passed while it waited, wait for admission, run the handler under the deadline,
/// and send exactly one reply envelope; every failure is logged once with its code and never stops the service.
/// </summary>
/// <typeparam name="TBody">The JSON body of the service's requests.</typeparam>
/// <typeparam name="TContext">What its handlers receive.</typeparam>
public sealed partial class RequestPipeline<TBody, TContext> where TBody : class
{
    private readonly RequestPipelineOptions _options;
    private readonly IRequestRoutes<TBody, TContext> _routes;
    private readonly MqttSession _session;
    private readonly TopicTree _topics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Incoming> _queue;
    private readonly SemaphoreSlim _slots;
    private readonly RecentReplies? _recent;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private long _answered;

    /// <summary>Creates a pipeline that replies through <paramref name="session"/>; nothing runs until <see cref="RunAsync"/>.</summary>
    public RequestPipeline(RequestPipelineOptions options, IRequestRoutes<TBody, TContext> routes, MqttSession session, TopicTree topics,
        ILogger logger, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _routes = routes;
        _session = session;
        _topics = topics;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _queue = Channel.CreateBounded<Incoming>(new BoundedChannelOptions(options.MaxQueued)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _slots = new SemaphoreSlim(options.MaxInFlight);
        if (options.DuplicateWindow > TimeSpan.Zero && options.MaxRememberedReplies > 0)
            _recent = new RecentReplies(options.DuplicateWindow, options.MaxRememberedReplies, _time);
    }

    /// <summary>Requests answered (ok or error) since start.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Replies kept to answer redeliveries.</summary>
    public int RememberedReplies => _recent?.Count ?? 0;

    /// <summary>Called from the receive loop: stamps the arrival time and queues (waiting when full: backpressure).</summary>
    public ValueTask EnqueueAsync(ReceivedMessage message, ParsedTopic topic)
    {
        var item = new Incoming(message, topic, _time.GetTimestamp());
        return _queue.Writer.TryWrite(item) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(item);
    }

    /// <summary>Runs until the token is cancelled, then waits for the requests in flight (which are answered UNAVAILABLE).</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                await _slots.WaitAsync(stopping).ConfigureAwait(false);
                Interlocked.Increment(ref _inFlight);
                // Observed: ProcessAsync catches everything, and RunAsync waits for it through _drained.
                _ = Task.Run(() => ProcessAsync(item, stopping), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
        finally
        {
            Release();
        }
        await _drained.Task.ConfigureAwait(false);
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0) _drained.TrySetResult();
    }

    private async Task ProcessAsync(Incoming item, CancellationToken stopping)
    {
        var message = item.Message;
        string? replyTo = message.ResponseTopic;
        string? correlationId = null;
        string? dedupeKey = null;
        MqttApplicationMessage? reply = null;
        try
        {
            if (!Responder.TryParseBody(message.Payload, _options.MaxBodyBytes, _routes.BodyType, _routes.EmptyBody, out var body, out var parseError))
                throw new IoTException(ErrorCode.BadRequest, parseError);
            var (bodyTopic, bodyCorrelation) = _routes.BodyReplyAddress(body);
            (replyTo, correlationId) = Responder.ReplyAddress(message, bodyTopic, bodyCorrelation);
            if (replyTo is not null && !_topics.IsAllowedResponseTopic(replyTo))
            {
                LogRefusedResponseTopic(_options.Kind, message.Topic, replyTo);
                replyTo = null;
                return;
            }
            if (replyTo is null && !_options.RunWithoutReply) return;

            dedupeKey = _recent is null ? null : DedupeKey(message, replyTo, correlationId);
            if (dedupeKey is not null && !_recent!.TryClaim(dedupeKey, out var earlier))
            {
                // Already executed (or executing): answer again with the same reply, never run it twice.
                LogDuplicate(_options.Kind, message.Topic);
                dedupeKey = null;
                if (await earlier.ConfigureAwait(false) is { } again) await SendAsync(again).ConfigureAwait(false);
                return;
            }

            var result = await ExecuteAsync(item, body, stopping).ConfigureAwait(false);
            if (replyTo is not null)
            {
                reply = Responder.Ok(replyTo, message.CorrelationData, correlationId, result.Value, result.TypeInfo);
                await SendAsync(reply).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            var (code, text) = Classify(ex, item, stopping);
            if (replyTo is not null)
            {
                reply = Responder.Error(replyTo, message.CorrelationData, correlationId, code, text);
                await SendAsync(reply).ConfigureAwait(false);
            }
        }
        finally
        {
            if (dedupeKey is not null) _recent!.Complete(dedupeKey, reply);
            _slots.Release();
            Release();
        }
    }

    private async Task<HandlerResult> ExecuteAsync(Incoming item, TBody body, CancellationToken stopping)
    {
        var (handler, context) = _routes.Route(item.Topic, body);
        var budget = Budget(item);
        if (budget <= TimeSpan.Zero)
            throw new IoTException(ErrorCode.DeadlineExceeded, $"the deadline of {BudgetText(item)} passed before the {_options.Kind.ToLowerInvariant()} started; it was not run");
        using var deadline = new CancellationTokenSource(budget, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping);
        var admitted = await _routes.AdmitAsync(context, linked.Token).ConfigureAwait(false);
        try
        {
            linked.Token.ThrowIfCancellationRequested();
            return await handler(context, linked.Token).ConfigureAwait(false);
        }
        finally { admitted?.Dispose(); }
    }

    private TimeSpan Budget(Incoming item) =>
        Responder.Deadline(item.Message, _options.DefaultTimeout) - _time.GetElapsedTime(item.ArrivedAt);

    // Only for a request whose deadline was read (Budget) without error before it ran.
    private string BudgetText(Incoming item) => $"{Responder.Deadline(item.Message, _options.DefaultTimeout).TotalMilliseconds:0} ms";

    private (ErrorCode, string) Classify(Exception ex, Incoming item, CancellationToken stopping)
    {
        var topic = item.Message.Topic;
        ErrorCode code;
        string text;
        switch (ex)
        {
            case IoTException iot:
                (code, text) = (iot.Code, iot.Message);
                break;
            case OperationCanceledException when stopping.IsCancellationRequested:
                (code, text) = (ErrorCode.Unavailable, $"the {_options.Service} is stopping");
                break;
            case OperationCanceledException:
                (code, text) = (ErrorCode.DeadlineExceeded, $"the deadline of {BudgetText(item)} passed before the {_options.Kind.ToLowerInvariant()} finished");
                break;
            default:
                if (_routes.TryClassify(ex, out code, out text)) break;
                LogUnexpectedFailure(ex, _options.Kind, topic, _options.Service);
                return (_options.UnexpectedFailureCode, ex.Message);
        }
        LogFailed(_options.Kind, topic, WireName<ErrorCode>.Of(code), text);
        return (code, text);
    }

    /// <summary>Who asked and which of their requests this is; null when the request cannot be told apart from others.</summary>
    private static string? DedupeKey(ReceivedMessage message, string? replyTo, string? correlationId)
    {
        if (replyTo is null) return null;
        if (message.CorrelationData is { Length: > 0 } data) return $"{replyTo}\n{Convert.ToHexString(data)}";
        return correlationId is { Length: > 0 } ? $"{replyTo}\n#{correlationId}" : null;
    }

    private async Task SendAsync(MqttApplicationMessage reply)
    {
        Interlocked.Increment(ref _answered);
        try { await _session.PublishAsync(reply, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) when (ex is IoTException or MQTTnet.Exceptions.MqttCommunicationException or ObjectDisposedException or OperationCanceledException)
        {
            LogReplyFailed(reply.Topic, ex.Message);
        }
    }

    private sealed record Incoming(ReceivedMessage Message, ParsedTopic Topic, long ArrivedAt);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "{Kind} on {Topic} failed with {Code}: {Error}")]
    private partial void LogFailed(string kind, string topic, string code, string error);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "{Kind} on {Topic} failed inside the {Service}")]
    private partial void LogUnexpectedFailure(Exception exception, string kind, string topic, string service);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "{Kind} on {Topic} names response topic '{ResponseTopic}', which is not allowed; no reply sent")]
    private partial void LogRefusedResponseTopic(string kind, string topic, string responseTopic);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "{Kind} on {Topic} is a duplicate of a recent one: answered again, not executed")]
    private partial void LogDuplicate(string kind, string topic);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Could not send the reply to {Topic}: {Error}")]
    private partial void LogReplyFailed(string topic, string error);
}
