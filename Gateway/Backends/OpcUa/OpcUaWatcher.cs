using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>
/// Watched keys: monitored items on the station's one subscription, and their data changes as NOTIFIED events. It
/// owns the subscription of the current session, which node belongs to which key, and the items made; a new or
/// lost link starts it afresh (<see cref="Reset"/>). Creating and deleting items is serialised by one semaphore,
/// so a restore after a reconnect and a START_NOTIFY never race for the subscription.
/// </summary>
internal sealed partial class OpcUaWatcher : IDisposable
{
    private readonly OpcUaStationOptions _options;
    private readonly ILogger _logger;
    private readonly Func<IBackendEventSink?> _sink;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _subscriptionLock = new(1, 1);
    private readonly Dictionary<NodeId, (OpcUaDevice Device, OpcUaVariable Variable)> _watchedNodes = [];
    private readonly Dictionary<(string Device, string Key), MonitoredItem> _items = [];
    private readonly List<(IOpcUaSession Session, OpcUaDevice Device, OpcUaVariable Variable, TaskCompletionSource<StatusCode> Done)> _queue = [];
    private OpcUaSubscription? _subscription;
    private bool _flushing;

    public OpcUaWatcher(OpcUaStationOptions options, ILogger logger, Func<IBackendEventSink?> sink)
    {
        _options = options;
        _logger = logger;
        _sink = sink;
    }

    /// <summary>How many monitored items there are now.</summary>
    public int Count { get { lock (_lock) return _items.Count; } }

    /// <summary>Forgets the subscription and every item (the session they lived on is gone or new).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _subscription = null;
            _watchedNodes.Clear();
            _items.Clear();
        }
    }

    /// <summary>How many items one CreateMonitoredItems may carry (the server's MaxMonitoredItemsPerCall, set on each link).</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// Watches one key; already watched is fine. Throws <see cref="MqttIoT.Sdk.IoTException"/>. Keys asked for while
    /// a CreateMonitoredItems is in flight wait and go together in the next call (up to <see cref="BatchSize"/>), so
    /// turning on thousands of keys costs a few round trips, not thousands.
    /// </summary>
    public async Task WatchAsync(IOpcUaSession session, OpcUaDevice device, OpcUaVariable variable, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<StatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool flush;
        lock (_lock)
        {
            if (_items.ContainsKey((device.Id, variable.Key))) return;
            _queue.Add((session, device, variable, done));
            flush = !_flushing;
            _flushing = true;
        }
        if (flush) await FlushAsync().ConfigureAwait(false);
        StatusCode status;
        try { status = await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false); }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"watching '{variable.Key}' of '{device.Id}'"); }
        if (status.IsBad)
            throw OpcUaErrors.ToIoT(new OpcUaException(status), $"watching '{variable.Key}' ({variable.NodeId}) of '{device.Id}'", ErrorCode.UnknownKey);
    }

    /// <summary>
    /// Creates the queued items, a batch per call, until the queue is empty. Run by the caller that found no flush
    /// running; not cancelled by its token, since the batch holds other callers' keys too (the session's operation
    /// timeout bounds each call).
    /// </summary>
    private async Task FlushAsync()
    {
        while (true)
        {
            List<(IOpcUaSession Session, OpcUaDevice Device, OpcUaVariable Variable, TaskCompletionSource<StatusCode> Done)> batch;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _flushing = false;
                    return;
                }
                var session = _queue[0].Session;
                batch = [.. _queue.Where(q => q.Session == session).Take(Math.Max(1, BatchSize))];
                foreach (var q in batch) _queue.Remove(q);
            }
            await _subscriptionLock.WaitAsync().ConfigureAwait(false);
            try
            {
                var subscription = await EnsureSubscriptionAsync(batch[0].Session, CancellationToken.None).ConfigureAwait(false);
                // Mapped before the request leaves, so the first values find their keys.
                lock (_lock) foreach (var q in batch) _watchedNodes[q.Variable.NodeId] = (q.Device, q.Variable);
                var items = await subscription.CreateMonitoredItemsAsync(batch.Select(q => ItemFor(q.Variable)).ToList(), CancellationToken.None)
                    .ConfigureAwait(false);
                lock (_lock)
                    for (int i = 0; i < batch.Count; i++)
                    {
                        if (items[i].StatusCode.IsGood) _items[(batch[i].Device.Id, batch[i].Variable.Key)] = items[i];
                        else ForgetNode(batch[i].Device, batch[i].Variable);
                    }
                for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(items[i].StatusCode);
            }
            catch (OpcUaException ex)
            {
                lock (_lock) foreach (var q in batch) ForgetNode(q.Device, q.Variable);
                foreach (var q in batch) q.Done.TrySetException(ex);
            }
            finally { _subscriptionLock.Release(); }
        }
    }

    /// <summary>Deletes the key's monitored item, if it has one; <paramref name="quiet"/> only logs server errors (disconnecting anyway).</summary>
    public async Task UnwatchAsync(OpcUaDevice device, OpcUaVariable variable, bool quiet, CancellationToken cancellationToken)
    {
        MonitoredItem? item;
        OpcUaSubscription? subscription;
        lock (_lock)
        {
            _items.Remove((device.Id, variable.Key), out item);
            ForgetNode(device, variable);
            subscription = _subscription;
        }
        if (item is null || subscription is null) return;
        await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { await subscription.DeleteMonitoredItemsAsync([item], cancellationToken).ConfigureAwait(false); }
        catch (OpcUaException ex) when (quiet) { LogUnwatchFailed(device.Id, variable.Key, ex.Message); }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"unwatching '{variable.Key}' of '{device.Id}'"); }
        finally { _subscriptionLock.Release(); }
    }

    /// <summary>
    /// Watches again, on a new session, what was watched before it. Items are created in batches of at most
    /// <paramref name="batchSize"/> (the server's MaxMonitoredItemsPerCall). A service error (the server refuses the
    /// subscription or an item) fails those keys only, with the reason; a broken link throws.
    /// </summary>
    public async Task<(int Restored, List<(OpcUaDevice Device, OpcUaVariable Variable, string Reason)> Failed)> RestoreAsync(IOpcUaSession session,
        IReadOnlyList<(OpcUaDevice Device, OpcUaVariable Variable)> watches, int batchSize, CancellationToken cancellationToken)
    {
        int restored = 0;
        var failed = new List<(OpcUaDevice, OpcUaVariable, string)>();
        if (watches.Count == 0) return (0, failed);
        await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        int at = 0;
        try
        {
            var subscription = await EnsureSubscriptionAsync(session, cancellationToken).ConfigureAwait(false);
            lock (_lock) foreach (var (d, v) in watches) _watchedNodes[v.NodeId] = (d, v);
            for (; at < watches.Count; at += batchSize)
            {
                var batch = watches.Skip(at).Take(batchSize).ToList();
                var items = await subscription.CreateMonitoredItemsAsync(batch.Select(w => ItemFor(w.Variable)).ToList(), cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    for (int i = 0; i < items.Count; i++)
                    {
                        if (items[i].StatusCode.IsGood) { _items[(batch[i].Device.Id, batch[i].Variable.Key)] = items[i]; restored++; }
                        else failed.Add((batch[i].Device, batch[i].Variable, items[i].StatusCode.Describe()));
                    }
                }
            }
        }
        catch (OpcUaException ex) when (session.IsConnected)
        {
            LogRestoreFailed(ex.Message);
            failed.AddRange(watches.Skip(at).Select(w => (w.Device, w.Variable, ex.Message)));
        }
        finally { _subscriptionLock.Release(); }
        lock (_lock) foreach (var (d, v, _) in failed) ForgetNode(d, v);
        return (restored, failed);
    }

    public void Dispose() => _subscriptionLock.Dispose();

    // Under _lock.
    private void ForgetNode(OpcUaDevice device, OpcUaVariable variable)
    {
        if (_watchedNodes.TryGetValue(variable.NodeId, out var owner) && owner.Device == device) _watchedNodes.Remove(variable.NodeId);
    }

    /// <summary>The station's subscription, created on first use (the caller holds the subscription lock).</summary>
    private async Task<OpcUaSubscription> EnsureSubscriptionAsync(IOpcUaSession session, CancellationToken cancellationToken)
    {
        lock (_lock) if (_subscription is { IsDeleted: false } existing) return existing;
        var subscription = await session.CreateSubscriptionAsync(new SubscriptionOptions { PublishingInterval = _options.PublishingInterval },
            cancellationToken).ConfigureAwait(false);
        subscription.DataChanged += OnDataChanged;
        lock (_lock) _subscription = subscription;
        return subscription;
    }

    private MonitoredItemOptions ItemFor(OpcUaVariable variable) =>
        new(new ReadValueId(variable.NodeId)) { SamplingIntervalMs = _options.SamplingIntervalMs };

    /// <summary>On the session's publish loop: turns the value into bytes and queues the event (the sink never blocks).</summary>
    private void OnDataChanged(DataChange change)
    {
        (OpcUaDevice Device, OpcUaVariable Variable) owner;
        lock (_lock)
            if (!_watchedNodes.TryGetValue(change.Item.ItemToMonitor.NodeId, out owner)) return;
        var value = change.Value;
        var bytes = owner.Variable.Encode(value.Value, out var dataType);
        var extra = new JsonObject
        {
            ["dataType"] = dataType,
            ["status"] = value.StatusCode.Name,
            ["statusCode"] = value.StatusCode.Code,
        };
        if (value.SourceTimestamp is { } source) extra["sourceTimestamp"] = new DateTimeOffset(source, TimeSpan.Zero);
        if (value.ServerTimestamp is { } server) extra["serverTimestamp"] = new DateTimeOffset(server, TimeSpan.Zero);
        _sink()?.OnNotified(owner.Device.Id, owner.Variable.Key, bytes, extra);
    }

    [LoggerMessage(EventId = 2404, Level = LogLevel.Warning, Message = "Restoring after a reconnect failed: {Error}")]
    private partial void LogRestoreFailed(string error);

    [LoggerMessage(EventId = 2408, Level = LogLevel.Debug, Message = "Deleting the monitored item of '{Key}' of '{Device}' failed: {Error}")]
    private partial void LogUnwatchFailed(string device, string key, string error);
}
