using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Gateway.Backends;
using MqttIoT.Sdk.Contract;
using MqttIoT.Protocol;

namespace MqttIoT.Gateway.Publishing;

/// <summary>
/// The backend's event sink and the gateway's only publisher of events and state. Backend calls are queued and
/// return at once; one loop drains the queue in order, publishes events, and keeps retained props and
/// availability equal to the backend's state, publishing only what changed (and PROPS_CHANGED when it did).
/// While the broker is away, events wait in the queue (up to <see cref="GatewayOptions.MaxQueuedEvents"/>
/// notifications); an event whose PUBACK never came because the connection dropped is published again after the
/// reconnect (at least once: a subscriber may see it twice). Retained state is not retried: it is all republished.
/// Every event is numbered and kept by the <see cref="EventOutbox"/> as it is queued (a notification dropped for a
/// full queue too, so GET_EVENTS still has it), and the outbox has it before it is published.
/// </summary>
internal sealed partial class StatePublisher : IBackendEventSink
{
    private const int BatchSize = 512;
    // QoS 1 publishes in flight at once. Waiting for each PUBACK before the next publish capped the gateway at one
    // event per broker round trip (the benchmarks' notification scenario); MQTTnet writes publishes in the order they
    // are called, so pipelining keeps their order.
    private const int MaxInFlight = 256;

    private readonly IStationBackend _station;
    private readonly MqttSession _session;
    private readonly TopicTree _topics;
    private readonly GatewayOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EventOutbox _outbox;
    // Held while an event is numbered and queued, so that seq order is queue order (backends enqueue from their threads).
    private readonly object _order = new();
    private readonly Channel<Outbound> _queue = Channel.CreateUnbounded<Outbound>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, byte[]> _published = new(StringComparer.Ordinal);
    private readonly Queue<(Task Publish, PublishEvent? Event)> _inFlight = new();
    // Events whose publish failed with the connection: sent again, oldest first, once the broker is back.
    private readonly Queue<PublishEvent> _retry = new();
    // Completed (and replaced) by every (re)connect; the loop waits on it while the broker is away.
    private TaskCompletionSource _connected = NewSignal();
    private int _queuedEvents;
    private long _droppedNotifications;
    private long _retriedEvents;
    private long _acknowledgedNotifications;

    public StatePublisher(IStationBackend station, MqttSession session, TopicTree topics, GatewayOptions options, EventOutbox outbox, ILogger logger, TimeProvider time)
    {
        _outbox = outbox;
        _station = station;
        _session = session;
        _topics = topics;
        _options = options;
        _logger = logger;
        _time = time;
    }

    /// <summary>Notifications dropped because the broker could not keep up.</summary>
    public long DroppedNotifications => Interlocked.Read(ref _droppedNotifications);

    public void OnStationEvent(StationEventType type, string? device = null, JsonObject? data = null)
    {
        if (device is not null) Enqueue(new RefreshDevice(device));
        if (type != StationEventType.PropsChanged)
            EnqueueEvent(_topics.StationEvent(_station.Id, type), WireName<StationEventType>.Of(type), device, null, data, notification: false);
        Enqueue(RefreshStation.Instance);
    }

    public void OnDeviceEvent(string device, DeviceEventType type, string? key = null, JsonObject? data = null)
    {
        if (type == DeviceEventType.PropsChanged) { Enqueue(new RefreshDevice(device)); return; }
        if (type == DeviceEventType.Notified)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            EnqueueEvent(_topics.DeviceEvent(_station.Id, device, type, key), WireName<DeviceEventType>.Of(type), device, key, data, notification: true);
            return;
        }
        EnqueueEvent(_topics.DeviceEvent(_station.Id, device, type), WireName<DeviceEventType>.Of(type), device, key, data, notification: false);
        if (type is DeviceEventType.Connected or DeviceEventType.Disconnected) Enqueue(new RefreshDevice(device));
    }

    public void OnNotified(string device, string key, ReadOnlyMemory<byte> value, JsonObject? extra = null)
    {
        var data = extra ?? new JsonObject();
        data["value"] = ValueCodec.ToHex(value.Span);
        if (ValueCodec.ToText(value.Span) is { } text) data["text"] = text;
        EnqueueEvent(_topics.DeviceEvent(_station.Id, device, DeviceEventType.Notified, key), WireName<DeviceEventType>.Of(DeviceEventType.Notified),
            device, key, data, notification: true);
    }

    public void OnDeviceRemoved(string device) => Enqueue(new RemoveDevice(device));

    /// <summary>Notifications the broker acknowledged (PUBACK).</summary>
    public long AcknowledgedNotifications => Interlocked.Read(ref _acknowledgedNotifications);

    /// <summary>Events published again after a lost connection took their PUBACK.</summary>
    public long RetriedEvents => Interlocked.Read(ref _retriedEvents);

    /// <summary>
    /// After a (re)connect: publishes availability and every retained topic again (the broker may have lost them)
    /// and lets events that waited for the broker go.
    /// </summary>
    public void RepublishAll()
    {
        Enqueue(RepublishEverything.Instance);
        Interlocked.Exchange(ref _connected, NewSignal()).TrySetResult();
    }

    /// <summary>Marks the station and its connected devices offline, the devices' props not connected (graceful shutdown), and waits until it is sent.</summary>
    public async Task PublishOfflineAsync(CancellationToken cancellationToken)
    {
        await DrainAsync().ConfigureAwait(false);
        foreach (var device in _station.GetConnectedDevices())
        {
            // No one holds the device once the gateway is gone (a backend lets it go when disposed, after this): its
            // retained props say so, as its availability does.
            var props = JsonSerializer.SerializeToUtf8Bytes(device.GetProps() with { Connected = false }, ContractJson.Default.DeviceProps);
            await PublishRetainedAsync(_topics.DeviceProps(_station.Id, device.Id), props, force: false, cancellationToken).ConfigureAwait(false);
            await PublishRetainedAsync(_topics.DeviceAvailability(_station.Id, device.Id), "offline"u8.ToArray(), force: false, cancellationToken).ConfigureAwait(false);
        }
        await PublishRetainedAsync(_topics.StationAvailability(_station.Id), "offline"u8.ToArray(), force: true, cancellationToken).ConfigureAwait(false);
        await DrainAsync().ConfigureAwait(false);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var batch = new List<Outbound>(BatchSize);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < BatchSize && reader.TryRead(out var item)) batch.Add(item);
                foreach (var item in batch)
                {
                    if (!_session.IsConnected || _retry.Count > 0) await RecoverAsync(cancellationToken).ConfigureAwait(false);
                    try { await ProcessAsync(item, cancellationToken).ConfigureAwait(false); }
                    catch (Sdk.IoTException ex) { LogPublishFailed(ex.Message); } // lost broker: state is republished on reconnect
                    catch (MQTTnet.Exceptions.MqttCommunicationException ex) { LogPublishFailed(ex.Message); }
                }
                // The queue was empty (a short batch): wait for the PUBACKs, so that failures are logged while they are news.
                if (batch.Count < BatchSize) await DrainAsync().ConfigureAwait(false);
                if (_retry.Count > 0) await RecoverAsync(cancellationToken).ConfigureAwait(false); // nothing else would wake the loop for them
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }

    private void Enqueue(Outbound item) => _queue.Writer.TryWrite(item);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Waits until the broker is back, then publishes the events the lost connection took, until none is left
    /// (the connection may drop again meanwhile).
    /// </summary>
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitUntilConnectedAsync(cancellationToken).ConfigureAwait(false);
            await DrainAsync().ConfigureAwait(false); // failures of the old connection join the retry queue
            if (_retry.Count == 0) return;
            var count = _retry.Count;
            LogRetrying(count);
            for (int i = 0; i < count; i++)
            {
                var e = _retry.Dequeue();
                Interlocked.Decrement(ref _queuedEvents);
                Interlocked.Increment(ref _retriedEvents);
                await PublishEventAsync(e, cancellationToken).ConfigureAwait(false);
            }
            await DrainAsync().ConfigureAwait(false);
            if (_retry.Count == 0) return;
        }
    }

    private async Task WaitUntilConnectedAsync(CancellationToken cancellationToken)
    {
        while (!_session.IsConnected)
        {
            // Read the signal before checking again: a connect in between replaces it after completing this one.
            var connected = Volatile.Read(ref _connected);
            if (_session.IsConnected) return;
            await connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts a publish; waits only when <see cref="MaxInFlight"/> are unacknowledged.</summary>
    private async Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken, PublishEvent? e = null)
    {
        _inFlight.Enqueue((_session.PublishAsync(message, cancellationToken), e));
        while (_inFlight.Count > MaxInFlight) await ObserveOldestAsync().ConfigureAwait(false);
    }

    private Task PublishEventAsync(PublishEvent e, CancellationToken cancellationToken)
    {
        _outbox.Flush(e.Seq); // the outbox has the event before anyone can see it
        return PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(e.Topic).WithPayload(e.Payload).WithContentType(Wire.JsonContentType)
            .WithUserProperty(Wire.SeqProperty, SeqBytes(e.Seq))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken, e);
    }

    private async Task DrainAsync()
    {
        while (_inFlight.Count > 0) await ObserveOldestAsync().ConfigureAwait(false);
    }

    private async Task ObserveOldestAsync()
    {
        var (publish, e) = _inFlight.Dequeue();
        try
        {
            await publish.ConfigureAwait(false);
            if (e is { Notification: true }) Interlocked.Increment(ref _acknowledgedNotifications);
        }
        // Lost broker: state is republished on reconnect, an event is sent again.
        catch (Exception ex) when (ex is Sdk.IoTException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            if (e is null) { LogPublishFailed(ex.Message); return; }
            Interlocked.Increment(ref _queuedEvents);
            _retry.Enqueue(e);
        }
        catch (OperationCanceledException) { } // cancelled by the gateway stopping
    }

    private void EnqueueEvent(string topic, string type, string? device, string? key, JsonObject? data, bool notification)
    {
        var message = new EventMessage { Type = type, Station = _station.Id, Device = device, Key = key, Timestamp = _time.GetUtcNow(), Data = data };
        lock (_order)
        {
            var record = _outbox.Append(message.Timestamp, type, topic,
                seq => JsonSerializer.SerializeToUtf8Bytes(message with { Seq = seq }, ContractJson.Default.EventMessage));
            // Dropped from the wire, not from the outbox: a subscriber sees the gap in seq and GET_EVENTS fills it.
            if (notification && Volatile.Read(ref _queuedEvents) >= _options.MaxQueuedEvents)
            {
                if (Interlocked.Increment(ref _droppedNotifications) % 10_000 == 1) LogDroppingNotifications(_options.MaxQueuedEvents);
                return;
            }
            Interlocked.Increment(ref _queuedEvents);
            Enqueue(new PublishEvent(topic, record.Payload, notification, record.Seq));
        }
    }

    private async Task ProcessAsync(Outbound item, CancellationToken cancellationToken)
    {
        switch (item)
        {
            case PublishEvent e:
                Interlocked.Decrement(ref _queuedEvents);
                await PublishEventAsync(e, cancellationToken).ConfigureAwait(false);
                break;
            case RefreshStation:
                await PublishStationAsync(force: false, cancellationToken).ConfigureAwait(false);
                break;
            case RefreshDevice r:
                if (_station.FindDevice(r.Device) is { } device) await PublishDeviceAsync(device, force: false, cancellationToken).ConfigureAwait(false);
                break;
            case RemoveDevice r:
                await ClearDeviceAsync(r.Device, cancellationToken).ConfigureAwait(false);
                break;
            case RepublishEverything:
                await PublishRetainedAsync(_topics.StationAvailability(_station.Id), "online"u8.ToArray(), force: true, cancellationToken).ConfigureAwait(false);
                await PublishStationAsync(force: true, cancellationToken).ConfigureAwait(false);
                foreach (var d in _station.GetKnownDevices()) await PublishDeviceAsync(d, force: true, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task PublishStationAsync(bool force, CancellationToken cancellationToken)
    {
        var props = JsonSerializer.SerializeToUtf8Bytes(_station.GetProps(), ContractJson.Default.StationProps);
        var changed = await PublishRetainedAsync(_topics.StationProps(_station.Id), props, force, cancellationToken).ConfigureAwait(false);
        if (changed) EnqueuePropsChanged(_topics.StationEvent(_station.Id, StationEventType.PropsChanged),
            WireName<StationEventType>.Of(StationEventType.PropsChanged), null, props);
    }

    private async Task PublishDeviceAsync(IDeviceBackend device, bool force, CancellationToken cancellationToken)
    {
        var props = device.GetProps();
        var json = JsonSerializer.SerializeToUtf8Bytes(props, ContractJson.Default.DeviceProps);
        var changed = await PublishRetainedAsync(_topics.DeviceProps(_station.Id, device.Id), json, force, cancellationToken).ConfigureAwait(false);
        await PublishRetainedAsync(_topics.DeviceAvailability(_station.Id, device.Id), props.Connected ? "online"u8.ToArray() : "offline"u8.ToArray(), force, cancellationToken).ConfigureAwait(false);
        if (changed) EnqueuePropsChanged(_topics.DeviceEvent(_station.Id, device.Id, DeviceEventType.PropsChanged),
            WireName<DeviceEventType>.Of(DeviceEventType.PropsChanged), device.Id, json);
    }

    private async Task ClearDeviceAsync(string device, CancellationToken cancellationToken)
    {
        foreach (var topic in new[] { _topics.DeviceProps(_station.Id, device), _topics.DeviceAvailability(_station.Id, device) })
        {
            _published.Remove(topic);
            await PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithRetainFlag(true)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Publishes a retained payload unless it equals the last one; returns true when it changed an earlier one.</summary>
    private async Task<bool> PublishRetainedAsync(string topic, byte[] payload, bool force, CancellationToken cancellationToken)
    {
        var had = _published.TryGetValue(topic, out var last);
        var same = had && last!.AsSpan().SequenceEqual(payload);
        if (same && !force) return false;
        // The seq of the station's last event: how current the state is, for a late joiner.
        await PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(true)
            .WithContentType(payload.Length > 0 && payload[0] == (byte)'{' ? Wire.JsonContentType : null)
            .WithUserProperty(Wire.SeqProperty, SeqBytes(_outbox.LastSeq))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken).ConfigureAwait(false);
        _published[topic] = payload;
        return had && !same;
    }

    /// <summary>
    /// PROPS_CHANGED with the new props as its data, so a reader of events alone sees what they are now. Queued behind the
    /// events already numbered (not published at once), so that it goes out in seq order too.
    /// </summary>
    private void EnqueuePropsChanged(string topic, string type, string? device, byte[] props) =>
        EnqueueEvent(topic, type, device, null, JsonNode.Parse(props)!.AsObject(), notification: false);

    private static ReadOnlyMemory<byte> SeqBytes(long seq) =>
        System.Text.Encoding.ASCII.GetBytes(seq.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private abstract record Outbound;
    private sealed record PublishEvent(string Topic, byte[] Payload, bool Notification, long Seq) : Outbound;
    private sealed record RefreshStation : Outbound { public static readonly RefreshStation Instance = new(); }
    private sealed record RefreshDevice(string Device) : Outbound;
    private sealed record RemoveDevice(string Device) : Outbound;
    private sealed record RepublishEverything : Outbound { public static readonly RepublishEverything Instance = new(); }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Publish failed (state is republished after reconnect): {Error}")]
    private partial void LogPublishFailed(string error);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Publishing again {Count} events whose acknowledgement the lost connection took")]
    private partial void LogRetrying(int count);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Over {Max} events queued: dropping notifications until the broker catches up")]
    private partial void LogDroppingNotifications(int max);
}
