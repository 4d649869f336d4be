using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;

namespace MqttIoT.Sdk;

/// <summary>
/// The client of the system: requests and queries to stations and devices, events as async streams, all over
/// MQTT v5 request/response (ResponseTopic + CorrelationData) with one long-lived reply subscription.
/// It reconnects by itself after a broker restart and restores its subscriptions.
/// </summary>
public sealed partial class IoTHubClient : IAsyncDisposable
{
    private readonly IoTHubClientOptions _options;
    private readonly MqttSession _session;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _replyTopic;
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<ReceivedMessage>> _pending = new();
    private readonly Lock _subscriptionsLock = new();
    private readonly Dictionary<string, int> _filterRefs = new(StringComparer.Ordinal);
    private EventSubscription<StationEvent>[] _stationSubscriptions = [];
    private EventSubscription<DeviceEvent>[] _deviceSubscriptions = [];

    private IoTHubClient(IoTHubClientOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _options = options;
        _time = time;
        _logger = loggerFactory.CreateLogger<IoTHubClient>();
        Topics = new TopicTree(options.Root);
        _session = new MqttSession(options.ToSessionOptions(), loggerFactory.CreateLogger<MqttSession>(), time);
        _session.MessageReceived = OnMessageAsync;
        _replyTopic = Topics.ClientReplies(_session.ClientId);
    }

    /// <summary>The topic tree the client talks to.</summary>
    public TopicTree Topics { get; }

    /// <summary>The MQTT client id in use.</summary>
    public string ClientId => _session.ClientId;

    /// <summary>Whether the broker connection is up now.</summary>
    public bool IsConnected => _session.IsConnected;

    /// <summary>Connects to the broker and subscribes to the client's reply topic.</summary>
    public static async Task<IoTHubClient> ConnectAsync(IoTHubClientOptions options, ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DefaultTimeout <= TimeSpan.Zero) throw new ArgumentException("DefaultTimeout must be positive");
        var client = new IoTHubClient(options, loggerFactory ?? NullLoggerFactory.Instance, timeProvider ?? TimeProvider.System);
        try
        {
            await client._session.SubscribeAsync([client._replyTopic], cancellationToken).ConfigureAwait(false);
            await client._session.StartAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A handle on one station.</summary>
    public RemoteStation GetStation(string station) => new(this, station);

    /// <summary>A handle on one device.</summary>
    public RemoteDevice GetDevice(string station, string device) => new(this, station, device);

    /// <summary>Sends a request to a station and returns the reply's data.</summary>
    /// <exception cref="IoTException">The station answered with an error, nobody serves it, or the deadline passed.</exception>
    public Task<JsonElement> StationRequestAsync(string station, StationRequestType type, RequestBody? body = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(Topics.StationRequest(station, type), body, ErrorCode.UnknownStation, $"station '{station}'", timeout, cancellationToken);

    /// <summary>Sends a query to a station and returns the reply's data.</summary>
    /// <exception cref="IoTException">The station answered with an error, nobody serves it, or the deadline passed.</exception>
    public Task<JsonElement> StationQueryAsync(string station, StationQueryType type, RequestBody? body = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(Topics.StationQuery(station, type), body, ErrorCode.UnknownStation, $"station '{station}'", timeout, cancellationToken);

    /// <summary>Sends a request to a device of a station and returns the reply's data.</summary>
    /// <exception cref="IoTException">The device answered with an error, the station does not hold it, nobody serves the station, or the deadline passed.</exception>
    public Task<JsonElement> DeviceRequestAsync(string station, string device, DeviceRequestType type, RequestBody? body = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(Topics.DeviceRequest(station, device, type), body, ErrorCode.UnknownStation, $"device '{device}' of station '{station}'",
            timeout, cancellationToken);

    /// <summary>Subscribes to station events, narrowed by station and type when given.</summary>
    public async Task<EventSubscription<StationEvent>> SubscribeStationEventsAsync(string? station = null, StationEventType? type = null,
        CancellationToken cancellationToken = default)
    {
        var filter = Topics.StationEventsFilter(station, type);
        var sub = new EventSubscription<StationEvent>(filter, _options.EventBufferSize, s => RemoveAsync(s, s.TopicFilter));
        lock (_subscriptionsLock) _stationSubscriptions = [.. _stationSubscriptions, sub];
        await AddFilterAsync(filter, cancellationToken).ConfigureAwait(false);
        return sub;
    }

    /// <summary>Subscribes to device events, narrowed at the broker by station, device, type and key when given.</summary>
    public async Task<EventSubscription<DeviceEvent>> SubscribeDeviceEventsAsync(string? station = null, string? device = null,
        DeviceEventType? type = null, string? key = null, CancellationToken cancellationToken = default)
    {
        var filter = Topics.DeviceEventsFilter(station, device, type, key);
        var sub = new EventSubscription<DeviceEvent>(filter, _options.EventBufferSize, s => RemoveAsync(s, s.TopicFilter));
        lock (_subscriptionsLock) _deviceSubscriptions = [.. _deviceSubscriptions, sub];
        await AddFilterAsync(filter, cancellationToken).ConfigureAwait(false);
        return sub;
    }

    /// <summary>Disconnects; pending requests fail and subscriptions end.</summary>
    public async ValueTask DisposeAsync()
    {
        await _session.DisposeAsync().ConfigureAwait(false);
        foreach (var pending in _pending.Values)
            pending.TrySetException(new ObjectDisposedException(nameof(IoTHubClient)));
        EventSubscription<StationEvent>[] stations;
        EventSubscription<DeviceEvent>[] devices;
        lock (_subscriptionsLock) { stations = _stationSubscriptions; devices = _deviceSubscriptions; }
        foreach (var s in stations) s.Complete();
        foreach (var d in devices) d.Complete();
    }

    /// <summary>How much longer than its timeout a request waits for the responder's own answer.</summary>
    internal static readonly TimeSpan ReplyGrace = TimeSpan.FromMilliseconds(500);

    internal Task<JsonElement> RequestAsync(string topic, RequestBody? body, ErrorCode noResponderCode, string target,
        TimeSpan? timeout, CancellationToken cancellationToken) =>
        RequestAsync(topic, body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body, ContractJson.Default.RequestBody),
            noResponderCode, target, timeout, cancellationToken);

    internal async Task<JsonElement> RequestAsync(string topic, byte[] payload, ErrorCode noResponderCode, string target,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout ?? _options.DefaultTimeout;
        if (deadline <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "timeout must be positive");
        var id = Guid.NewGuid();
        var tcs = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        try
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload)
                .WithContentType(Wire.JsonContentType)
                .WithResponseTopic(_replyTopic)
                .WithCorrelationData(id.ToByteArray())
                .WithMessageExpiryInterval((uint)Math.Max(1, Math.Ceiling(deadline.TotalSeconds)))
                .WithUserProperty(Wire.TimeoutProperty, System.Text.Encoding.ASCII.GetBytes(((long)Math.Ceiling(deadline.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture)).AsMemory())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();

            // The responder stops at the deadline counted from when the request reached it, a little after we sent it, and
            // then answers DEADLINE_EXCEEDED itself: waiting a little longer hears that answer (or a late success), so a
            // caller told DEADLINE_EXCEEDED by us knows the responder did not finish the request in its time either.
            using var timeoutCts = new CancellationTokenSource(deadline + ReplyGrace, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutCts.Token, cancellationToken);
            ReceivedMessage reply;
            try
            {
                var published = await _session.PublishAsync(message, linked.Token).ConfigureAwait(false);
                if (published.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers)
                    throw new IoTException(noResponderCode, $"nobody serves {target} (no subscriber on {topic})");
                if (!published.IsSuccess)
                    throw new IoTException(ErrorCode.Unavailable, $"the broker refused the request: {published.ReasonCode} {published.ReasonString}");
                reply = await tcs.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeoutCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new IoTException(ErrorCode.DeadlineExceeded, $"no reply from {target} within {deadline.TotalMilliseconds:0} ms");
            }
            return ParseReply(reply, target);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private static JsonElement ParseReply(ReceivedMessage reply, string target)
    {
        ReplyEnvelope? envelope;
        try { envelope = JsonSerializer.Deserialize(reply.Payload, ContractJson.Default.ReplyEnvelope); }
        catch (JsonException ex) { throw new IoTException(ErrorCode.Internal, $"{target} sent a reply that is not an envelope: {ex.Message}", ex); }
        if (envelope is null) throw new IoTException(ErrorCode.Internal, $"{target} sent an empty reply");
        if (envelope.Status == Wire.StatusOk) return envelope.Data ?? default;
        var error = envelope.Error ?? new ReplyError(ErrorCode.Internal, "error reply without an error");
        throw new IoTException(error.Code, error.Message, isRemote: true);
    }

    private async Task AddFilterAsync(string filter, CancellationToken cancellationToken)
    {
        bool first;
        lock (_subscriptionsLock)
        {
            _filterRefs[filter] = _filterRefs.GetValueOrDefault(filter) + 1;
            first = _filterRefs[filter] == 1;
        }
        if (first) await _session.SubscribeAsync([filter], cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask RemoveAsync<T>(EventSubscription<T> subscription, string filter)
    {
        lock (_subscriptionsLock)
        {
            if (subscription is EventSubscription<StationEvent> s) _stationSubscriptions = [.. _stationSubscriptions.Where(x => x != s)];
            if (subscription is EventSubscription<DeviceEvent> d) _deviceSubscriptions = [.. _deviceSubscriptions.Where(x => x != d)];
        }
        await ReleaseFilterAsync(filter).ConfigureAwait(false);
    }

    private async ValueTask ReleaseFilterAsync(string filter)
    {
        bool last;
        lock (_subscriptionsLock)
        {
            var count = _filterRefs.GetValueOrDefault(filter) - 1;
            last = count <= 0;
            if (last) _filterRefs.Remove(filter); else _filterRefs[filter] = count;
        }
        if (last) foreach (var topic in _retained.Keys) if (MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch) _retained.TryRemove(topic, out _);
        if (last && _session.IsConnected)
        {
            try { await _session.UnsubscribeAsync([filter], CancellationToken.None).ConfigureAwait(false); }
            catch (ObjectDisposedException) { }
        }
    }

    private ValueTask OnMessageAsync(ReceivedMessage message)
    {
        if (message.Topic == _replyTopic)
        {
            if (message.CorrelationData is { Length: 16 } corr && _pending.TryGetValue(new Guid(corr), out var tcs))
                tcs.TrySetResult(message);
            return ValueTask.CompletedTask;
        }
        if (!Topics.TryParse(message.Topic, out var topic)) return ValueTask.CompletedTask;
        if (topic.Kind is TopicKind.Props or TopicKind.Availability)
        {
            DispatchState(message, topic);
            return ValueTask.CompletedTask;
        }
        if (topic.Kind != TopicKind.Event) return ValueTask.CompletedTask;
        EventMessage? evt;
        try { evt = JsonSerializer.Deserialize(message.Payload, ContractJson.Default.EventMessage); }
        catch (JsonException ex)
        {
            LogBadEvent(message.Topic, ex.Message);
            return ValueTask.CompletedTask;
        }
        if (evt is null) return ValueTask.CompletedTask;
        if (topic.Scope == TopicScope.Station) DispatchStationEvent(message, evt);
        else DispatchDeviceEvent(message, topic, evt);
        return ValueTask.CompletedTask;
    }

    private void DispatchStationEvent(ReceivedMessage message, EventMessage evt)
    {
        if (!WireName<StationEventType>.TryParse(evt.Type, out var type)) return;
        var item = new StationEvent(type, evt.Station, evt.Device, evt.Timestamp, evt.Data);
        foreach (var sub in Volatile.Read(ref _stationSubscriptions))
            if (IsFor(message, sub.TopicFilter))
                sub.Write(item);
    }

    private void DispatchDeviceEvent(ReceivedMessage message, ParsedTopic parsed, EventMessage evt)
    {
        if (!WireName<DeviceEventType>.TryParse(evt.Type, out var type)) return;
        byte[]? value = null;
        if (evt.Data?["value"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var hex) && ValueCodec.TryFromHex(hex, out var bytes))
            value = bytes;
        var item = new DeviceEvent(type, parsed.Id, parsed.Station!, evt.Key ?? parsed.Key, value, evt.Timestamp, evt.Data);
        foreach (var sub in Volatile.Read(ref _deviceSubscriptions))
            if (IsFor(message, sub.TopicFilter))
                sub.Write(item);
    }

    /// <summary>
    /// Whether a copy of a message is for one subscription. With overlapping subscriptions a broker may send one
    /// copy per subscription (Mosquitto does), each tagged with its subscription identifier; routing by identifier
    /// gives every subscription each event once. Without identifiers, the topic decides.
    /// </summary>
    private bool IsFor(ReceivedMessage message, string filter)
    {
        if (message.SubscriptionIdentifiers is { Count: > 0 } ids) return ids.Contains(_session.SubscriptionIdentifierOf(filter));
        return MqttTopicFilterComparer.Compare(message.Topic, filter) == MqttTopicFilterCompareResult.IsMatch;
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Ignored an event on {Topic} that is not an event envelope: {Error}")]
    private partial void LogBadEvent(string topic, string error);
}
