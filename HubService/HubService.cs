using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Hub.Index;
using MqttIoT.Hub.Ingest;
using MqttIoT.Hub.Queries;
using MqttIoT.Hub.Storage;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;
using MqttIoT.Protocol.Requests;

namespace MqttIoT.Hub;

/// <summary>
/// One hub replica: an index of every station and device, kept from their retained props, availability and events,
/// stored in LiteDB and answering the hub queries. Replicas take queries through the shared subscription
/// <c>$share/mqttiot-hub/{root}/hub/queries/+</c>, so each query is answered once, while each keeps its own index
/// from the same retained state.
/// </summary>
public sealed partial class HubService : IAsyncDisposable
{
    private readonly HubOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    // Two connections: state (props, availability, events: bursts of 100,000 retained messages after a restart) and
    // queries. On one connection a query waits behind every state message the broker queued before it.
    private readonly MqttSession _session;
    private readonly MqttSession _querySession;
    private readonly HubIndex _index = new();
    private readonly HubStore _store;
    private readonly IngestLoop _ingest;
    private readonly RequestPipeline<HubQueryBody, HubQueryContext> _dispatcher;
    private readonly string[] _stateFilters;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _ingesting;
    private Task? _dispatching;
    private int _generation = 1;
    private int _stopped;

    /// <summary>Creates a hub and opens its index file; nothing connects until <see cref="StartAsync"/>.</summary>
    public HubService(HubOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger<HubService>();
        Topics = new TopicTree(options.Root);
        var mqtt = options.Mqtt;
        if (string.IsNullOrEmpty(mqtt.ClientId)) mqtt.ClientId = "hub-" + Guid.NewGuid().ToString("N")[..12];
        _session = new MqttSession(mqtt, loggerFactory.CreateLogger<MqttSession>(), _time);
        _querySession = new MqttSession(mqtt.SecondConnection(mqtt.ClientId + "-queries"), loggerFactory.CreateLogger<MqttSession>(), _time);
        _store = new HubStore(options.DatabasePath, options.CheckpointPages);
        if (_store.RebuiltFrom is { } collation) LogRebuilt(_store.FilePath, collation);
        _ingest = new IngestLoop(options, _index, _store, Topics.ClientReplies(_session.ClientId), loggerFactory.CreateLogger<IngestLoop>(), _time);
        _dispatcher = new RequestPipeline<HubQueryBody, HubQueryContext>(new RequestPipelineOptions
        {
            Kind = "Hub query",
            Service = "hub",
            MaxBodyBytes = options.MaxQueryBytes,
            MaxQueued = options.MaxPendingQueries,
            MaxInFlight = options.QueryConcurrency,
            DefaultTimeout = options.DefaultQueryTimeout,
            RunWithoutReply = false, // a query nobody reads the answer of changes nothing: skipped
            UnexpectedFailureCode = ErrorCode.Internal,
        }, new HubRoutes(HubQueryHandlers.CreateDefault(), _index, options), _querySession, Topics,
            loggerFactory.CreateLogger<RequestPipeline<HubQueryBody, HubQueryContext>>(), _time);
        _stateFilters =
        [
            Topics.AllStationPropsFilter, Topics.AllStationAvailabilityFilter, Topics.StationEventsFilter(),
            Topics.AllDevicePropsFilter, Topics.AllDeviceAvailabilityFilter, Topics.DeviceEventsFilter(),
        ];
        _session.MessageReceived = OnMessageAsync;
        _session.Connected = OnConnectedAsync;
        _querySession.MessageReceived = OnQueryAsync;
    }

    /// <summary>The topic tree in use.</summary>
    public TopicTree Topics { get; }

    /// <summary>The LiteDB file of this replica's index.</summary>
    public string DatabasePath => _store.FilePath;

    /// <summary>The MQTT client id of this replica.</summary>
    public string ClientId => _session.ClientId;

    /// <summary>Whether the broker's retained state has been replayed into the index since start.</summary>
    public bool IsCaughtUp => _index.CaughtUp;

    /// <summary>Counters of this replica.</summary>
    public HubStats Stats => _index.Read(i => new HubStats(i.Stations.Count, i.Devices.Count, _ingest.Ingested, _ingest.Transactions,
        _ingest.LargestTransaction, _dispatcher.Answered));

    /// <summary>
    /// Loads the index from disk, connects (retrying until the broker answers or the token is cancelled), waits until
    /// the broker's retained state is replayed into the index, and only then takes queries.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var records = _store.LoadAll(_index.Paths, LogBadDocument);
        _index.Load(records);
        LogLoaded(records.Count, _store.FilePath);

        _ingesting = Task.Run(() => _ingest.RunAsync(_stopping.Token), CancellationToken.None);
        _dispatching = Task.Run(() => _dispatcher.RunAsync(_stopping.Token), CancellationToken.None);
        await _ingest.StartGenerationAsync(1, cancellationToken).ConfigureAwait(false);
        await _session.SubscribeAsync([.. _stateFilters, _ingest.BarrierTopic], cancellationToken).ConfigureAwait(false);

        await _session.StartWhenReachableAsync(cancellationToken).ConfigureAwait(false);

        // Answering before the replay is applied would give partial answers; a replica that starts late waits here.
        var caughtUp = _ingest.CaughtUpAsync(1);
        if (await Task.WhenAny(caughtUp, Task.Delay(_options.CatchUpTimeout, _time, cancellationToken)).ConfigureAwait(false) != caughtUp)
            LogCatchUpSlow(_options.CatchUpTimeout.TotalSeconds);
        // The query connection subscribes before it connects, so its session (and every reconnect) has the share group.
        await _querySession.SubscribeAsync([Topics.HubQueriesSharedFilter], cancellationToken).ConfigureAwait(false);
        await _querySession.StartWhenReachableAsync(cancellationToken).ConfigureAwait(false);
        var stats = Stats;
        LogStarted(_session.ClientId, _options.Mqtt.Host, _options.Mqtt.Port, Topics.Root, stats.Stations, stats.Devices);
    }

    /// <summary>Stops taking queries, commits what is applied, folds the LiteDB log into the file and disconnects.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        if (_querySession.IsConnected)
        {
            try { await _querySession.UnsubscribeAsync([Topics.HubQueriesSharedFilter], cancellationToken).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException) { LogStopFailed(ex.Message); }
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var loop in new[] { _dispatching, _ingesting })
        {
            if (loop is null) continue;
            try { await loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        await _querySession.DisposeAsync().ConfigureAwait(false);
        await _session.DisposeAsync().ConfigureAwait(false);
        try { _store.Checkpoint(); }
        catch (Exception ex) when (ex is LiteDB.LiteException or IOException) { LogStopFailed(ex.Message); }
        _store.Dispose();
        _index.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task OnConnectedAsync(bool isReconnect, CancellationToken cancellationToken)
    {
        var generation = 1;
        if (isReconnect)
        {
            // The session restored the subscriptions before telling us, so the replay may already be under way and
            // mixed with the old generation. Subscribe again behind a generation mark: the broker replays everything
            // once more, all of it after the mark.
            generation = Interlocked.Increment(ref _generation);
            await _session.UnsubscribeAsync(_stateFilters, cancellationToken).ConfigureAwait(false);
            await _ingest.StartGenerationAsync(generation, cancellationToken).ConfigureAwait(false);
            await _session.SubscribeAsync(_stateFilters, cancellationToken).ConfigureAwait(false);
        }
        // Queued by the broker behind the replay of every subscription above: when it comes back, the replay is in.
        await _session.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(_ingest.BarrierTopic)
            .WithPayload(System.Text.Encoding.ASCII.GetBytes(generation.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken).ConfigureAwait(false);
    }

    private ValueTask OnMessageAsync(ReceivedMessage message)
    {
        if (message.Topic == _ingest.BarrierTopic) return _ingest.EnqueueBarrierAsync(message);
        if (!Topics.TryParse(message.Topic, out var topic)) return ValueTask.CompletedTask;
        return topic is { Scope: TopicScope.Station or TopicScope.Device, Kind: TopicKind.Props or TopicKind.Availability or TopicKind.Event }
            ? _ingest.EnqueueAsync(message, topic)
            : ValueTask.CompletedTask;
    }

    private ValueTask OnQueryAsync(ReceivedMessage message) =>
        Topics.TryParse(message.Topic, out var topic) && topic is { Scope: TopicScope.Hub, Kind: TopicKind.Query }
            ? _dispatcher.EnqueueAsync(message, topic)
            : ValueTask.CompletedTask;

    private void LogBadDocument(string id, string error) => LogUnreadableDocument(id, error);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Rebuilt {Path} with an ordinal collation (it had '{Collation}', under which ids differing only in case collide)")]
    private partial void LogRebuilt(string path, string collation);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Loaded {Count} records from {Path}")]
    private partial void LogLoaded(int count, string path);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Skipped record '{Id}' of the index file ({Error}); the broker's replay restores it")]
    private partial void LogUnreadableDocument(string id, string error);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Hub {ClientId} serving on {Host}:{Port} under '{Root}': {Stations} stations, {Devices} devices")]
    private partial void LogStarted(string clientId, string host, int port, string root, int stations, int devices);


    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "The broker's retained state was not replayed within {Seconds} s; answering queries anyway")]
    private partial void LogCatchUpSlow(double seconds);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "While stopping: {Error}")]
    private partial void LogStopFailed(string error);
}
