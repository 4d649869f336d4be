using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MqttIoT.Gateway.Backends;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;

namespace MqttIoT.Gateway.Requests;

/// <summary>
/// Takes requests off the MQTT receive loop through a bounded channel and runs them: one at a time per device,
/// at most <see cref="GatewayOptions.MaxConcurrency"/> at once overall, each bounded by its deadline (the
/// request's MessageExpiryInterval). A request whose deadline passed while it waited is not executed.
/// Every request with somewhere to reply to gets exactly one reply.
/// </summary>
internal sealed partial class RequestDispatcher
{
    private readonly GatewayOptions _options;
    private readonly IStationBackend _station;
    private readonly HandlerTable _handlers;
    private readonly MqttSession _session;
    private readonly TopicTree _topics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Incoming> _queue;
    private readonly SemaphoreSlim _pending;
    private readonly SemaphoreSlim _executing;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _deviceLocks = new(StringComparer.Ordinal);
    private int _inFlight;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RecentReplies _recent;

    public RequestDispatcher(GatewayOptions options, IStationBackend station, HandlerTable handlers, MqttSession session,
        TopicTree topics, ILogger logger, TimeProvider time)
    {
        _options = options;
        _station = station;
        _handlers = handlers;
        _session = session;
        _topics = topics;
        _logger = logger;
        _time = time;
        _queue = Channel.CreateBounded<Incoming>(new BoundedChannelOptions(options.MaxPending)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _recent = new RecentReplies(options.DuplicateWindow, options.MaxRememberedReplies, time);
        _pending = new SemaphoreSlim(options.MaxPending);
        _executing = new SemaphoreSlim(options.MaxConcurrency);
    }

    /// <summary>Called from the receive loop: stamps the arrival time and queues (waiting when full: backpressure).</summary>
    public ValueTask EnqueueAsync(ReceivedMessage message, ParsedTopic topic)
    {
        var item = new Incoming(message, topic, _time.GetTimestamp());
        return _queue.Writer.TryWrite(item) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(item);
    }

    /// <summary>Runs until the token is cancelled, then waits for requests in flight.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                await _pending.WaitAsync(stopping).ConfigureAwait(false);
                Interlocked.Increment(ref _inFlight);
                _ = ProcessAsync(item, stopping);
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
            if (!Responder.TryParseBody(message.Payload, _options.MaxRequestBytes, ContractJson.Default.RequestBody, Empty, out var body, out var parseError))
                throw new IoTException(ErrorCode.BadRequest, parseError);
            (replyTo, correlationId) = Responder.ReplyAddress(message, body.ResponseTopic, body.CorrelationId);
            if (replyTo is not null && !_topics.IsAllowedResponseTopic(replyTo))
            {
                LogRefusedResponseTopic(message.Topic, replyTo);
                replyTo = null;
            }

            dedupeKey = DedupeKey(message, replyTo, correlationId);
            if (dedupeKey is not null && !_recent.TryClaim(dedupeKey, out var earlier))
            {
                // Already executed (or executing): answer again with the same reply, never run it twice.
                LogDuplicate(message.Topic);
                if (await earlier.ConfigureAwait(false) is { } again) await ReplyAsync(again).ConfigureAwait(false);
                dedupeKey = null;
                return;
            }

            var result = await ExecuteAsync(item, body, stopping).ConfigureAwait(false);
            if (replyTo is not null)
            {
                reply = Responder.Ok(replyTo, message.CorrelationData, correlationId, result.Value, result.TypeInfo);
                await ReplyAsync(reply).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            var (code, text) = Classify(ex, item, stopping);
            if (replyTo is not null && _topics.IsAllowedResponseTopic(replyTo))
            {
                reply = Responder.Error(replyTo, message.CorrelationData, correlationId, code, text);
                await ReplyAsync(reply).ConfigureAwait(false);
            }
        }
        finally
        {
            if (dedupeKey is not null) _recent.Complete(dedupeKey, reply);
            _pending.Release();
            Release();
        }
    }

    private async Task<HandlerResult> ExecuteAsync(
        Incoming item, RequestBody body, CancellationToken stopping)
    {
        var topic = item.Topic;
        if (topic.Name is null)
            throw new IoTException(ErrorCode.BadRequest, "the topic has an id level that is not escaped as topics.md says (\"Ids in topics\")");
        if (topic.Station != _station.Id)
            throw new IoTException(ErrorCode.UnknownStation, $"this gateway serves station '{_station.Id}', not '{topic.Station}'");
        if (!_handlers.TryGet(topic, out var handler))
            throw new IoTException(ErrorCode.Unsupported, $"'{topic.Name}' is not a {topic.Scope.ToString().ToLowerInvariant()} {topic.Kind.ToString().ToLowerInvariant()} type this gateway supports");

        IDeviceBackend? device = null;
        if (topic.Scope == TopicScope.Device)
            device = _station.FindDevice(topic.Id) ?? throw new IoTException(ErrorCode.UnknownDevice, $"station '{_station.Id}' knows no device '{topic.Id}'");

        var budget = Budget(item);
        using var deadline = new CancellationTokenSource(budget, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping);
        // Operations on one device run one at a time: its own requests, and station requests naming it (CONNECT, DISCONNECT).
        var lockedId = device?.Id ?? (topic.Kind == TopicKind.Request ? body.Device : null);
        var deviceLock = lockedId is null ? null : _deviceLocks.GetOrAdd(lockedId, _ => new SemaphoreSlim(1, 1));
        if (deviceLock is not null) await deviceLock.WaitAsync(linked.Token).ConfigureAwait(false);
        try
        {
            await _executing.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                linked.Token.ThrowIfCancellationRequested();
                return await handler(new RequestContext(_station, device, body), linked.Token).ConfigureAwait(false);
            }
            finally { _executing.Release(); }
        }
        finally { deviceLock?.Release(); }
    }

    private TimeSpan Budget(Incoming item)
    {
        var left = Responder.Deadline(item.Message, _options.DefaultRequestTimeout) - _time.GetElapsedTime(item.ArrivedAt);
        return left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1);
    }

    private (ErrorCode, string) Classify(Exception ex, Incoming item, CancellationToken stopping)
    {
        var topic = item.Message.Topic;
        switch (ex)
        {
            case IoTException iot:
                LogRequestFailed(topic, WireName<ErrorCode>.Of(iot.Code), iot.Message);
                return (iot.Code, iot.Message);
            case OperationCanceledException when stopping.IsCancellationRequested:
                LogRequestFailed(topic, "UNAVAILABLE", "gateway stopping");
                return (ErrorCode.Unavailable, "the gateway is stopping");
            case OperationCanceledException:
                var text = $"the deadline of {BudgetText(item)} passed before the request finished";
                LogRequestFailed(topic, "DEADLINE_EXCEEDED", text);
                return (ErrorCode.DeadlineExceeded, text);
            default:
                LogBackendFailure(ex, topic);
                return (ErrorCode.BackendFailure, ex.Message);
        }
    }

    /// <summary>Who asked and which of their requests this is; null when the request cannot be told apart from others.</summary>
    private static string? DedupeKey(ReceivedMessage message, string? replyTo, string? correlationId)
    {
        if (replyTo is null) return null;
        if (message.CorrelationData is { Length: > 0 } data) return $"{replyTo}\n{Convert.ToHexString(data)}";
        return correlationId is { Length: > 0 } ? $"{replyTo}\n#{correlationId}" : null;
    }

    // Only for a request that ran into its deadline: its deadline was read (Budget) without error before it ran.
    private string BudgetText(Incoming item) => $"{Responder.Deadline(item.Message, _options.DefaultRequestTimeout).TotalMilliseconds:0} ms";

    private async Task ReplyAsync(MqttApplicationMessage reply)
    {
        try { await _session.PublishAsync(reply, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) { LogReplyFailed(reply.Topic, ex.Message); }
    }

    private static readonly RequestBody Empty = new();

    private sealed record Incoming(ReceivedMessage Message, ParsedTopic Topic, long ArrivedAt);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Request on {Topic} failed with {Code}: {Error}")]
    private partial void LogRequestFailed(string topic, string code, string error);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "Request on {Topic} failed in the backend")]
    private partial void LogBackendFailure(Exception exception, string topic);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Request on {Topic} names response topic '{ResponseTopic}', which is not allowed; no reply sent")]
    private partial void LogRefusedResponseTopic(string topic, string responseTopic);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Request on {Topic} is a duplicate of a recent one: answered again, not executed")]
    private partial void LogDuplicate(string topic);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Could not send the reply to {Topic}: {Error}")]
    private partial void LogReplyFailed(string topic, string error);
}
