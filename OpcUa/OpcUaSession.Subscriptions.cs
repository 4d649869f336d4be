using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa;

/// <summary>
/// Subscriptions and the publish loop (OPC 10000-4 §5.13). While the session has a subscription it keeps
/// <see cref="OpcUaClientOptions.PublishRequestCount"/> Publish requests outstanding, so the server always has one
/// to answer with while the other travels. Each response acknowledges what the previous ones delivered. A keep-alive
/// (no notifications) just counts; BadTooManyPublishRequests lowers the count to what the server queued (never
/// below one). After a fault the loop is pumped again while subscriptions exist, so it never ends with none
/// outstanding. BadNoSubscription marks the subscriptions made before that request left deleted (the server has
/// none of them; a Bad status change does the same), and publishing goes on for any made since.
/// </summary>
public sealed partial class OpcUaSession
{
    private readonly ConcurrentDictionary<uint, OpcUaSubscription> _subscriptions = new();
    private readonly ConcurrentQueue<(uint Subscription, uint Sequence)> _acknowledgements = new();
    private readonly ConcurrentDictionary<Task, byte> _publishLoops = new();
    private readonly Lock _publishLock = new();
    private int _targetPublishRequests;
    private int _outstandingPublishRequests;
    private int _clientHandle;

    /// <summary>How many Publish requests the session keeps outstanding now (lowered by BadTooManyPublishRequests).</summary>
    public int PublishRequestTarget { get { lock (_publishLock) return _targetPublishRequests; } }

    /// <summary>Publish requests now waiting at the server.</summary>
    public int OutstandingPublishRequests { get { lock (_publishLock) return _outstandingPublishRequests; } }

    /// <inheritdoc />
    public async Task<OpcUaSubscription> CreateSubscriptionAsync(SubscriptionOptions options, CancellationToken cancellationToken)
    {
        var (_, d) = await CallServiceAsync("CreateSubscription", EncodingIds.CreateSubscriptionRequest, EncodingIds.CreateSubscriptionResponse, e =>
        {
            e.WriteDouble(options.PublishingInterval.TotalMilliseconds);
            e.WriteUInt32(options.LifetimeCount);
            e.WriteUInt32(options.MaxKeepAliveCount);
            e.WriteUInt32(options.MaxNotificationsPerPublish);
            e.WriteBoolean(true); // PublishingEnabled
            e.WriteByte(options.Priority);
        }, cancellationToken).ConfigureAwait(false);
        uint id = d.ReadUInt32();
        var interval = TimeSpan.FromMilliseconds(d.ReadDouble());
        uint lifetime = d.ReadUInt32();
        uint keepAlive = d.ReadUInt32();
        var subscription = new OpcUaSubscription(this, id, interval, keepAlive, lifetime);
        _subscriptions[id] = subscription;
        LogSubscriptionCreated(id, interval.TotalMilliseconds, keepAlive);
        lock (_publishLock) _targetPublishRequests = Math.Max(_targetPublishRequests, 1);
        PumpPublish();
        return subscription;
    }

    internal async Task<IReadOnlyList<MonitoredItem>> CreateMonitoredItemsAsync(OpcUaSubscription subscription, IReadOnlyList<MonitoredItemOptions> items,
        CancellationToken cancellationToken)
    {
        var handles = items.Select(_ => unchecked((uint)Interlocked.Increment(ref _clientHandle))).ToArray();
        // Known before the request leaves: the first value may be published before this response is read.
        for (int i = 0; i < items.Count; i++)
            subscription.Reserve(new MonitoredItem(handles[i], 0, items[i].ItemToMonitor, StatusCode.Good, items[i].SamplingIntervalMs));
        BinaryDecoder d;
        try
        {
            (_, d) = await CallServiceAsync("CreateMonitoredItems", EncodingIds.CreateMonitoredItemsRequest, EncodingIds.CreateMonitoredItemsResponse, e =>
            {
                e.WriteUInt32(subscription.Id);
                e.WriteInt32((int)TimestampsToReturn.Both);
                e.WriteInt32(items.Count);
                for (int i = 0; i < items.Count; i++)
                {
                    items[i].ItemToMonitor.Encode(e);
                    e.WriteInt32(2); // MonitoringMode: Reporting
                    e.WriteUInt32(handles[i]);
                    e.WriteDouble(items[i].SamplingIntervalMs);
                    e.WriteExtensionObject(null); // Filter: the default data change filter
                    e.WriteUInt32(items[i].QueueSize);
                    e.WriteBoolean(items[i].DiscardOldest);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var handle in handles) subscription.Release(handle);
            throw;
        }
        int count = d.ReadInt32();
        if (count != items.Count) throw new OpcUaException(StatusCodes.BadUnknownResponse, $"CreateMonitoredItems returned {count} results for {items.Count} items");
        var created = new MonitoredItem[count];
        for (int i = 0; i < count; i++)
        {
            var status = d.ReadStatusCode();
            uint id = d.ReadUInt32();
            double sampling = d.ReadDouble();
            d.ReadUInt32(); // RevisedQueueSize
            d.ReadExtensionObject(); // FilterResult
            created[i] = new MonitoredItem(handles[i], id, items[i].ItemToMonitor, status, sampling);
        }
        return created;
    }

    internal async Task<IReadOnlyList<StatusCode>> DeleteMonitoredItemsAsync(OpcUaSubscription subscription, IReadOnlyList<MonitoredItem> items,
        CancellationToken cancellationToken)
    {
        var (_, d) = await CallServiceAsync("DeleteMonitoredItems", EncodingIds.DeleteMonitoredItemsRequest, EncodingIds.DeleteMonitoredItemsResponse, e =>
        {
            e.WriteUInt32(subscription.Id);
            e.WriteArray(items, i => e.WriteUInt32(i.MonitoredItemId));
        }, cancellationToken).ConfigureAwait(false);
        return Expect("DeleteMonitoredItems", d.ReadList(d.ReadStatusCode), items.Count);
    }

    internal async Task DeleteSubscriptionAsync(OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        _subscriptions.TryRemove(subscription.Id, out _);
        subscription.IsDeleted = true;
        var (_, d) = await CallServiceAsync("DeleteSubscriptions", EncodingIds.DeleteSubscriptionsRequest, EncodingIds.DeleteSubscriptionsResponse,
            e => e.WriteArray([subscription.Id], e.WriteUInt32), cancellationToken).ConfigureAwait(false);
        var status = Expect("DeleteSubscriptions", d.ReadList(d.ReadStatusCode), 1)[0];
        if (status.IsBad && status.Code != StatusCodes.BadSubscriptionIdInvalid)
            throw new OpcUaException(status, $"DeleteSubscriptions of {subscription.Id}");
    }

    /// <summary>Starts Publish requests until the target number (at least one) is outstanding; none without subscriptions.</summary>
    private void PumpPublish()
    {
        lock (_publishLock)
        {
            while (IsConnected && !_subscriptions.IsEmpty && _outstandingPublishRequests < Math.Max(1, _targetPublishRequests))
            {
                _outstandingPublishRequests++;
                var loop = PublishOnceAsync();
                _publishLoops[loop] = 0;
                // Only forgets the finished loop; its outcome is handled inside it, and CloseAsync awaits those still running.
                _ = loop.ContinueWith(t => _publishLoops.TryRemove(t, out _), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private async Task PublishOnceAsync()
    {
        bool again = true;
        // A snapshot of ours when the request leaves: if the server says it has none, it has none of these.
        var existing = _subscriptions.Keys;
        var acks = new List<(uint Subscription, uint Sequence)>();
        while (_acknowledgements.TryDequeue(out var ack)) acks.Add(ack);
        try
        {
            // The server holds a Publish until it has something or a keep-alive is due: wait for that, plus slack.
            var longest = _subscriptions.Values.Select(s => s.PublishingInterval * Math.Max(1, s.KeepAliveCount)).DefaultIfEmpty(TimeSpan.Zero).Max();
            var timeout = longest * 2 + _options.OperationTimeout;
            var (header, d) = await CallServiceAsync("Publish", EncodingIds.PublishRequest, EncodingIds.PublishResponse, e =>
            {
                e.WriteInt32(acks.Count);
                foreach (var (subscription, sequence) in acks)
                {
                    e.WriteUInt32(subscription);
                    e.WriteUInt32(sequence);
                }
            }, _closing.Token, timeout, throwOnBadResult: false).ConfigureAwait(false);

            if (header.ServiceResult.IsBad)
            {
                foreach (var ack in acks) _acknowledgements.Enqueue(ack);
                again = OnPublishFault(header.ServiceResult, existing);
                return;
            }
            OnPublishResponse(d);
        }
        catch (OperationCanceledException) { again = false; }
        catch (OpcUaException ex)
        {
            foreach (var ack in acks) _acknowledgements.Enqueue(ack);
            again = IsConnected && ex.Status.Code is StatusCodes.BadTimeout;
            if (IsConnected) LogPublishFailed(ex.Message);
        }
        finally
        {
            lock (_publishLock) _outstandingPublishRequests--;
            if (again) PumpPublish();
        }
    }

    /// <summary>What a Publish answered with a Bad service result means; true to pump again.</summary>
    private bool OnPublishFault(StatusCode status, ICollection<uint> existing)
    {
        bool again;
        int target;
        lock (_publishLock)
        {
            (target, again) = AfterPublishFault(status.Code, _outstandingPublishRequests, _targetPublishRequests);
            _targetPublishRequests = target;
        }
        switch (status.Code)
        {
            case StatusCodes.BadTooManyPublishRequests:
                LogTooManyPublishRequests(target);
                break;
            case StatusCodes.BadNoSubscription:
                // Those made before the request left are gone at the server (kept, they would be published for
                // forever); one made since is not, and the pump publishes for it.
                foreach (var id in existing)
                {
                    if (!_subscriptions.TryRemove(id, out var lost)) continue;
                    lost.IsDeleted = true;
                    LogSubscriptionLost(id);
                }
                break;
            case StatusCodes.BadTimeout:
                break;
            default:
                if (IsConnected) LogPublishFailed(status.Describe());
                break;
        }
        return again;
    }

    /// <summary>
    /// The Publish requests to keep after a fault (<paramref name="outstanding"/> counts the faulted one), and whether
    /// to pump again: after BadTooManyPublishRequests one fewer than were out, never fewer than one, and the pump runs
    /// (the faulted request may have been the only one); after BadNoSubscription and BadTimeout too (the pump sends
    /// nothing without subscriptions). Other faults stop the loop, which a lost session ends anyway.
    /// </summary>
    internal static (int Target, bool Again) AfterPublishFault(uint status, int outstanding, int target) => status switch
    {
        StatusCodes.BadTooManyPublishRequests => (Math.Max(1, outstanding - 1), true),
        StatusCodes.BadNoSubscription or StatusCodes.BadTimeout => (Math.Max(1, target), true),
        _ => (Math.Max(1, target), false),
    };

    private void OnPublishResponse(BinaryDecoder d)
    {
        uint subscriptionId = d.ReadUInt32();
        d.ReadArray(d.ReadUInt32); // AvailableSequenceNumbers
        d.ReadBoolean(); // MoreNotifications: the next outstanding Publish collects them
        uint sequence = d.ReadUInt32();
        d.ReadDateTime(); // PublishTime
        var data = d.ReadList(d.ReadExtensionObject);
        _subscriptions.TryGetValue(subscriptionId, out var subscription);
        if (data.Length == 0)
        {
            subscription?.OnKeepAlive();
            return;
        }
        _acknowledgements.Enqueue((subscriptionId, sequence));
        if (subscription is null) return;
        foreach (var notification in data)
        {
            if (notification.Body is null || notification.TypeId.NamespaceIndex != 0 || notification.TypeId.IdType != NodeIdType.Numeric) continue;
            var body = new BinaryDecoder(notification.Body);
            switch ((uint)notification.TypeId.Identifier)
            {
                case EncodingIds.DataChangeNotification:
                    int count = body.ReadInt32();
                    for (int i = 0; i < count; i++)
                    {
                        uint handle = body.ReadUInt32();
                        var value = body.ReadDataValue();
                        if (!subscription.TryGetItem(handle, out var item)) continue;
                        try { subscription.OnDataChange(item, value); }
                        catch (Exception ex) when (ex is not OutOfMemoryException) { LogHandlerFailed(ex.Message); }
                    }
                    break;
                case EncodingIds.StatusChangeNotification:
                    var status = body.ReadStatusCode();
                    LogSubscriptionStatus(subscriptionId, status.Describe());
                    if (status.IsBad)
                    {
                        _subscriptions.TryRemove(subscriptionId, out _);
                        subscription.IsDeleted = true;
                    }
                    break;
            }
        }
    }

    private async Task WaitPublishLoopsAsync()
    {
        foreach (var loop in _publishLoops.Keys)
        {
            try { await loop.ConfigureAwait(false); }
            catch (Exception ex) when (ex is OpcUaException or OperationCanceledException) { }
        }
    }

    [LoggerMessage(EventId = 2500, Level = LogLevel.Debug, Message = "Subscription {SubscriptionId} created: publishing every {IntervalMs} ms, keep-alive count {KeepAlive}")]
    private partial void LogSubscriptionCreated(uint subscriptionId, double intervalMs, uint keepAlive);

    [LoggerMessage(EventId = 2501, Level = LogLevel.Information, Message = "The server queues fewer Publish requests; keeping {Count} outstanding")]
    private partial void LogTooManyPublishRequests(int count);

    [LoggerMessage(EventId = 2502, Level = LogLevel.Warning, Message = "The server has no subscriptions for this session: subscription {SubscriptionId} is gone")]
    private partial void LogSubscriptionLost(uint subscriptionId);

    [LoggerMessage(EventId = 2503, Level = LogLevel.Warning, Message = "Publish failed: {Error}")]
    private partial void LogPublishFailed(string error);

    [LoggerMessage(EventId = 2504, Level = LogLevel.Information, Message = "Subscription {SubscriptionId} status changed: {Status}")]
    private partial void LogSubscriptionStatus(uint subscriptionId, string status);
}
