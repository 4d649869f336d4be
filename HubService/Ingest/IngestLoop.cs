using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MqttIoT.Hub.Index;
using MqttIoT.Hub.Storage;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;

namespace MqttIoT.Hub.Ingest;

/// <summary>
/// The one writer of the index. State messages (props, availability, events) come off the MQTT receive loop through
/// a bounded channel; the loop parses them, applies whatever is queued to the in-memory index under one write lock
/// (queries see it at once), and collects the changed records, coalesced by id. The changes go to LiteDB in one
/// transaction when <see cref="HubOptions.MaxBatch"/> records are pending or the oldest has waited
/// <see cref="HubOptions.BatchWindow"/>: 10,000 devices coming online are a handful of transactions, not 10,000.
/// </summary>
/// <remarks>
/// Catching up: each broker connection is a generation. Everything the broker replays after subscribing (its
/// retained props) is stamped with the generation; a barrier message the hub publishes to itself once subscribed
/// arrives after that replay (the broker queues it behind), and then every record the replay did not confirm is
/// removed: its props were cleared while the hub was away.
/// </remarks>
internal sealed partial class IngestLoop
{
    private const int ChunkSize = 1024;
    private const int MaxLoggedTopics = 1000;

    private readonly HubOptions _options;
    private readonly HubIndex _index;
    private readonly HubStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Item> _queue;
    private readonly IndexChanges _changes = new();
    private readonly HashSet<string> _loggedTopics = new(StringComparer.Ordinal);
    private readonly Dictionary<int, TaskCompletionSource> _caughtUp = [];
    private readonly Lock _caughtUpLock = new();
    private int _generation;
    private long _dirtySince;
    private long _ingested;
    private long _transactions;
    private int _largestTransaction;

    public IngestLoop(HubOptions options, HubIndex index, HubStore store, string barrierTopic, ILogger logger, TimeProvider time)
    {
        _options = options;
        _index = index;
        _store = store;
        BarrierTopic = barrierTopic;
        _logger = logger;
        _time = time;
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(options.MaxIngestQueue)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Where the hub publishes its catch-up barriers (its own inbox).</summary>
    public string BarrierTopic { get; }

    public long Ingested => Interlocked.Read(ref _ingested);
    public long Transactions => Interlocked.Read(ref _transactions);
    public int LargestTransaction => Volatile.Read(ref _largestTransaction);

    /// <summary>Called from the receive loop; waits when the queue is full (backpressure on the broker).</summary>
    public ValueTask EnqueueAsync(ReceivedMessage message, ParsedTopic topic)
    {
        var item = new StateMessage(message, topic);
        return _queue.Writer.TryWrite(item) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(item);
    }

    /// <summary>Queues a barrier message that came back from the broker.</summary>
    public ValueTask EnqueueBarrierAsync(ReceivedMessage message)
    {
        var text = Encoding.ASCII.GetString(message.Payload);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var generation)) return ValueTask.CompletedTask;
        return _queue.Writer.WriteAsync(new Barrier(generation));
    }

    /// <summary>Marks the start of a broker connection's replay; must be queued before anything that connection delivers.</summary>
    public ValueTask StartGenerationAsync(int generation, CancellationToken cancellationToken) =>
        _queue.Writer.WriteAsync(new GenerationStart(generation), cancellationToken);

    /// <summary>Completes once the replay of <paramref name="generation"/> has been applied and committed.</summary>
    public Task CaughtUpAsync(int generation)
    {
        lock (_caughtUpLock)
        {
            if (!_caughtUp.TryGetValue(generation, out var tcs))
                _caughtUp[generation] = tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return tcs.Task;
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var reader = _queue.Reader;
        var chunk = new List<Item>(ChunkSize);
        try
        {
            while (true)
            {
                if (!await WaitForWorkAsync(reader, stopping).ConfigureAwait(false)) break;
                chunk.Clear();
                while (chunk.Count < ChunkSize && reader.TryRead(out var item)) chunk.Add(item);
                await ApplyAsync(chunk).ConfigureAwait(false);
                if (_changes.Count >= _options.MaxBatch || (_changes.Count > 0 && _time.GetElapsedTime(_dirtySince) >= _options.BatchWindow))
                    Commit();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
        finally
        {
            // A clean stop loses nothing: what is applied is committed.
            Commit();
        }
    }

    /// <summary>Waits for a message, or until the pending batch is due (then commits it). False when stopping.</summary>
    private async Task<bool> WaitForWorkAsync(ChannelReader<Item> reader, CancellationToken stopping)
    {
        while (true)
        {
            if (reader.TryPeek(out _)) return true;
            if (_changes.Count == 0) return await reader.WaitToReadAsync(stopping).ConfigureAwait(false);
            var left = _options.BatchWindow - _time.GetElapsedTime(_dirtySince);
            if (left <= TimeSpan.Zero) { Commit(); continue; }
            using var window = new CancellationTokenSource(left, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(window.Token, stopping);
            try { return await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (window.IsCancellationRequested && !stopping.IsCancellationRequested) { Commit(); }
        }
    }

    private Task ApplyAsync(List<Item> chunk)
    {
        // Parse outside the lock; apply everything under one write lock.
        var prepared = new List<Prepared>(chunk.Count);
        foreach (var item in chunk) prepared.Add(Prepare(item));
        var now = Now();
        var before = _changes.Count;
        Barrier? barrier = null;
        _index.Write(index =>
        {
            foreach (var p in prepared)
            {
                switch (p)
                {
                    case PreparedProps x: index.ApplyProps(x.IsDevice, Key(x.IsDevice, x.Id, x.Station), x.Props, x.Retained, _generation, now, _changes); break;
                    case PreparedAvailability x: index.ApplyAvailability(x.IsDevice, Key(x.IsDevice, x.Id, x.Station), x.Online, x.Retained, now, _changes); break;
                    case PreparedEvent x: index.ApplyEvent(x.IsDevice, Key(x.IsDevice, x.Id, x.Station), x.Notified, now, _changes); break;
                    case PreparedGeneration x: _generation = x.Generation; break;
                    case PreparedBarrier x: barrier = x.Barrier; break;
                }
            }
        });
        Interlocked.Add(ref _ingested, prepared.Count(p => p is PreparedProps or PreparedAvailability or PreparedEvent));
        if (before == 0 && _changes.Count > 0) _dirtySince = _time.GetTimestamp();
        if (barrier is { } b) FinishReplay(b.Generation, now);
        return Task.CompletedTask;
    }

    private void FinishReplay(int generation, DateTimeOffset now)
    {
        if (generation == _generation)
        {
            var removed = 0;
            _index.Write(index =>
            {
                removed = index.Sweep(generation, now, _changes);
                index.MarkCaughtUp(now, _changes);
            });
            Commit();
            LogCaughtUp(generation, _index.Read(i => i.Stations.Count), _index.Read(i => i.Devices.Count), removed);
        }
        lock (_caughtUpLock)
        {
            foreach (var (g, tcs) in _caughtUp)
                if (g <= generation) tcs.TrySetResult();
            if (!_caughtUp.ContainsKey(generation))
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                done.SetResult();
                _caughtUp[generation] = done;
            }
        }
    }

    private void Commit()
    {
        var count = _changes.Count;
        if (count == 0) return;
        try
        {
            _store.Commit(_changes, LogRecordNotWritten);
            Interlocked.Increment(ref _transactions);
            if (count > _largestTransaction) Volatile.Write(ref _largestTransaction, count);
        }
        catch (Exception ex) when (ex is LiteDB.LiteException or IOException)
        {
            // Memory stays right; the records are written again with their next change or at the next start's replay.
            LogCommitFailed(ex, count);
        }
        _changes.Clear();
    }

    /// <summary>
    /// A device id is unique only within its station, so a device is known by both: two stations' <c>dev-0001</c> are
    /// two records, and the station in the topic (which the broker's ACL grants only to that station's gateway) names it.
    /// </summary>
    private static RecordKey Key(bool isDevice, string id, string? station) => new(id, isDevice ? station : null);

    private Prepared Prepare(Item item)
    {
        switch (item)
        {
            case GenerationStart g: return new PreparedGeneration(g.Generation);
            case Barrier b: return new PreparedBarrier(b);
        }
        var (message, topic) = (StateMessage)item;
        var isDevice = topic.Scope == TopicScope.Device;
        switch (topic.Kind)
        {
            case TopicKind.Props when message.Payload.Length == 0:
                return new PreparedProps(isDevice, topic.Id, null, message.Retain, topic.Station);
            case TopicKind.Props:
                if (ParsedProps.TryParse(message.Payload, _index.Paths, out var props, out var error))
                    return new PreparedProps(isDevice, topic.Id, props, message.Retain, topic.Station);
                LogOnce(message.Topic, error);
                return Skip.Instance;
            case TopicKind.Availability when message.Payload.Length == 0:
                return Skip.Instance; // cleared together with the props
            case TopicKind.Availability:
                var text = Encoding.UTF8.GetString(message.Payload);
                if (text is Wire.Online or Wire.Offline) return new PreparedAvailability(isDevice, topic.Id, text == Wire.Online, message.Retain, topic.Station);
                LogOnce(message.Topic, $"availability must be '{Wire.Online}' or '{Wire.Offline}'");
                return Skip.Instance;
            case TopicKind.Event:
                return new PreparedEvent(isDevice, topic.Id, isDevice && topic.Name == WireName<DeviceEventType>.Of(DeviceEventType.Notified)
                    ? Notified(message, topic) : null, topic.Station);
            default:
                return Skip.Instance;
        }
    }

    private NotifiedEntry? Notified(ReceivedMessage message, ParsedTopic topic)
    {
        try
        {
            var evt = JsonSerializer.Deserialize(message.Payload, ContractJson.Default.EventMessage);
            var key = evt?.Key ?? topic.Key;
            if (evt?.Data?["value"] is not System.Text.Json.Nodes.JsonValue v || !v.TryGetValue<string>(out var hex) || key is null) return null;
            var text = evt.Data["text"] is System.Text.Json.Nodes.JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
            return new NotifiedEntry(key, hex, text, evt.Timestamp == default ? Now() : evt.Timestamp.ToUniversalTime());
        }
        catch (JsonException ex)
        {
            LogOnce(message.Topic, $"not an event envelope: {ex.Message}");
            return null;
        }
    }

    private DateTimeOffset Now()
    {
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero); // what LiteDB keeps
    }

    private void LogOnce(string topic, string error)
    {
        if (_loggedTopics.Count < MaxLoggedTopics && _loggedTopics.Add(topic)) LogBadMessage(topic, error);
    }

    private abstract record Item;
    private sealed record StateMessage(ReceivedMessage Message, ParsedTopic Topic) : Item;
    private sealed record GenerationStart(int Generation) : Item;
    private sealed record Barrier(int Generation) : Item;

    private abstract record Prepared;
    private sealed record PreparedProps(bool IsDevice, string Id, ParsedProps? Props, bool Retained, string? Station) : Prepared;
    private sealed record PreparedAvailability(bool IsDevice, string Id, bool Online, bool Retained, string? Station) : Prepared;
    private sealed record PreparedEvent(bool IsDevice, string Id, NotifiedEntry? Notified, string? Station) : Prepared;
    private sealed record PreparedGeneration(int Generation) : Prepared;
    private sealed record PreparedBarrier(Barrier Barrier) : Prepared;
    private sealed record Skip : Prepared { public static readonly Skip Instance = new(); }

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Ignored a message on {Topic} (logged once per topic): {Error}")]
    private partial void LogBadMessage(string topic, string error);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "Could not write {Count} changed records to the index file; memory keeps them")]
    private partial void LogCommitFailed(Exception exception, int count);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Error, Message = "Could not write record '{Id}' to the index file; memory keeps it, the rest of its batch is written")]
    private partial void LogRecordNotWritten(string id, Exception exception);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Replay of connection {Generation} done: {Stations} stations, {Devices} devices, {Removed} gone while the hub was away")]
    private partial void LogCaughtUp(int generation, int stations, int devices, int removed);
}
