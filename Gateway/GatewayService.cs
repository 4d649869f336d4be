using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends;
using MqttIoT.Gateway.Publishing;
using MqttIoT.Gateway.Requests;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;
using MqttIoT.Protocol.Requests;

namespace MqttIoT.Gateway;

/// <summary>
/// One gateway: hosts one station backend and exposes it over MQTT v5. Requests and queries go through the
/// shared <see cref="RequestPipeline{TBody, TContext}"/> (admitted one at a time per device); events and retained state through the <see cref="StatePublisher"/>; the
/// station's availability is its last will.
/// </summary>
public sealed partial class GatewayService : IAsyncDisposable
{
    private readonly GatewayOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly MqttSession _session;
    private readonly StatePublisher _publisher;
    private readonly EventOutbox _outbox;
    private readonly GatewayRoutes _routes;
    private readonly RequestPipeline<RequestBody, RequestContext> _dispatcher;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _publishing;
    private Task? _dispatching;
    private int _stopped;

    /// <summary>Creates a gateway for <paramref name="station"/>; nothing runs until <see cref="StartAsync"/>.</summary>
    public GatewayService(GatewayOptions options, IStationBackend station, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null,
        HandlerTable<RequestContext>? handlers = null)
    {
        options.Validate();
        _options = options;
        Station = station;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger<GatewayService>();
        Topics = new TopicTree(options.Root);
        var mqtt = options.Mqtt;
        if (string.IsNullOrEmpty(mqtt.ClientId)) mqtt.ClientId = $"gateway-{station.Id}";
        // Requests that arrive while the gateway is briefly away wait in its broker session (their expiry still counts).
        if (options.PersistentSession && mqtt.SessionExpiry == TimeSpan.Zero) mqtt.SessionExpiry = TimeSpan.FromMinutes(5);
        mqtt.Will = new MqttWill(Topics.StationAvailability(station.Id), "offline"u8.ToArray());
        _session = new MqttSession(mqtt, loggerFactory.CreateLogger<MqttSession>(), _time);
        _outbox = new EventOutbox(options, _time, loggerFactory.CreateLogger<EventOutbox>());
        _publisher = new StatePublisher(station, _session, Topics, options, _outbox, loggerFactory.CreateLogger<StatePublisher>(), _time);
        _routes = new GatewayRoutes(station, handlers ?? RequestHandlers.CreateDefault(), options.MaxConcurrency, _outbox);
        _dispatcher = new RequestPipeline<RequestBody, RequestContext>(new RequestPipelineOptions
        {
            Kind = "Request",
            Service = "gateway",
            MaxBodyBytes = options.MaxRequestBytes,
            MaxQueued = options.MaxPending,
            MaxInFlight = options.MaxPending,
            DefaultTimeout = options.DefaultRequestTimeout,
            RunWithoutReply = true,
            DuplicateWindow = options.DuplicateWindow,
            MaxRememberedReplies = options.MaxRememberedReplies,
            UnexpectedFailureCode = ErrorCode.BackendFailure,
        }, _routes, _session, Topics, loggerFactory.CreateLogger<RequestPipeline<RequestBody, RequestContext>>(), _time);
        _session.MessageReceived = OnMessageAsync;
        _session.Connected = (_, _) =>
        {
            _publisher.RepublishAll();
            return Task.CompletedTask;
        };
    }

    /// <summary>The hosted station.</summary>
    public IStationBackend Station { get; }

    /// <summary>The topic tree in use.</summary>
    public TopicTree Topics { get; }

    /// <summary>Whether the broker connection is up.</summary>
    public bool IsConnected => _session.IsConnected;

    /// <summary>NOTIFIED events the broker acknowledged (PUBACK): what this gateway has sent, for counting at the other end.</summary>
    public long AcknowledgedNotifications => _publisher.AcknowledgedNotifications;

    /// <summary>Notifications dropped because more than <see cref="GatewayOptions.MaxQueuedEvents"/> waited for the broker.</summary>
    public long DroppedNotifications => _publisher.DroppedNotifications;

    /// <summary>Events published again after a lost connection took their acknowledgement (a subscriber may see them twice).</summary>
    public long RetriedEvents => _publisher.RetriedEvents;

    /// <summary>The seq of the station's newest event (0 before its first).</summary>
    public long LastSeq => _outbox.LastSeq;

    /// <summary>The outbox file kept aside at start because it was torn or damaged, or null.</summary>
    public string? OutboxSetAsidePath => _outbox.SetAsidePath;

    /// <summary>Connects (retrying until the broker answers or the token is cancelled), then starts the station.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _session.SubscribeAsync([Topics.StationRequestsFilter(Station.Id), Topics.StationQueriesFilter(Station.Id),
            Topics.StationDeviceRequestsFilter(Station.Id)], cancellationToken).ConfigureAwait(false);
        Station.SetEventSink(_publisher);
        _publishing = Task.Run(() => _publisher.RunAsync(_stopping.Token), CancellationToken.None);
        _dispatching = Task.Run(() => _dispatcher.RunAsync(_stopping.Token), CancellationToken.None);

        await _session.StartWhenReachableAsync(cancellationToken).ConfigureAwait(false);
        LogStarted(Station.Id, _options.Mqtt.Host, _options.Mqtt.Port, Topics.Root);
        if (_options.AutoStart) await Station.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking requests, cancels those in flight (they are answered UNAVAILABLE), marks the station offline and disconnects.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        Station.SetEventSink(null);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await WaitLoopsAsync().ConfigureAwait(false);
        if (_session.IsConnected)
        {
            try { await _publisher.PublishOfflineAsync(cancellationToken).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException) { LogStopPublishFailed(ex.Message); }
        }
        await _session.DisposeAsync().ConfigureAwait(false);
        _outbox.Dispose();
    }

    /// <summary>Drops the broker connection as a network failure would; the gateway reconnects by itself. For fault tests.</summary>
    public Task DropConnectionAsync() => _session.DropConnectionAsync();

    /// <summary>Drops the broker connection as a crash would (the last will fires). For fault tests.</summary>
    public async Task AbortAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        Station.SetEventSink(null);
        await _session.AbortAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await WaitLoopsAsync().ConfigureAwait(false);
        _outbox.Dispose(); // a crashed process would not; the outbox's side file copes with either
    }

    /// <summary>Device ids with a request holding or waiting for their turn (entries go when their requests do).</summary>
    internal int DeviceTurns => _routes.DeviceTurns;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _routes.Dispose();
    }

    private async Task WaitLoopsAsync()
    {
        foreach (var loop in new[] { _dispatching, _publishing })
        {
            if (loop is null) continue;
            try { await loop.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
    }

    private ValueTask OnMessageAsync(ReceivedMessage message)
    {
        // Everything that arrives matched one of our request filters; a topic that does not parse has an id
        // level no id escapes to (topics.md, "Ids in topics"), which deserves an answer, not silence.
        if (!Topics.TryParse(message.Topic, out var topic) || topic.Kind is not (TopicKind.Request or TopicKind.Query))
            topic = new ParsedTopic(TopicScope.Station, "", TopicKind.Request, null, null, null);
        return _dispatcher.EnqueueAsync(message, topic);
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Gateway for station '{Station}' serving on {Host}:{Port} under '{Root}'")]
    private partial void LogStarted(string station, string host, int port, string root);


    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Could not mark the station offline while stopping: {Error}")]
    private partial void LogStopPublishFailed(string error);
}
