using System.Collections.Concurrent;
using System.Text.Json;
using MQTTnet;
using MqttIoT.Protocol;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

// Watching the retained props and availability the gateways publish (topics.md, "Retained state").
public sealed partial class IoTHubClient
{
    // The last retained props/availability seen per topic while a watch held its filter: a second watch of a filter
    // already subscribed gets no retained copies from the broker, so it starts from these.
    private readonly ConcurrentDictionary<string, ReceivedMessage> _retained = new(StringComparer.Ordinal);
    private StateWatch[] _watches = [];

    /// <summary>
    /// Watches the retained props and availability of one station (or of every station): the current state first,
    /// as the broker holds it, then one update per change. Dispose it to stop.
    /// </summary>
    public Task<EventSubscription<StationState>> WatchStationsAsync(string? station = null, CancellationToken cancellationToken = default) =>
        WatchAsync(Topics.StationPropsFilter(station), Topics.StationAvailabilityFilter(station), TopicScope.Station,
            (topic, props, online) => new StationState(topic.Id, props?.Deserialize(ContractJson.Default.StationProps), online), cancellationToken);

    /// <summary>
    /// Watches the retained props and availability of devices, narrowed by station and device when given: the current
    /// state first, then one update per change; both null when a device left its station.
    /// </summary>
    public Task<EventSubscription<DeviceState>> WatchDevicesAsync(string? station = null, string? device = null, CancellationToken cancellationToken = default) =>
        WatchAsync(Topics.DevicePropsFilter(station, device), Topics.DeviceAvailabilityFilter(station, device), TopicScope.Device,
            (topic, props, online) => new DeviceState(topic.Station!, topic.Id, props?.Deserialize(ContractJson.Default.DeviceProps), online), cancellationToken);

    private async Task<EventSubscription<T>> WatchAsync<T>(string propsFilter, string availabilityFilter, TopicScope scope,
        Func<ParsedTopic, JsonElement?, bool?, T> make, CancellationToken cancellationToken)
    {
        EventSubscription<T>? subscription = null;
        subscription = new EventSubscription<T>(propsFilter, _options.EventBufferSize, async s =>
        {
            lock (_subscriptionsLock) _watches = [.. _watches.Where(w => w.Owner != (object)s)];
            await ReleaseFilterAsync(propsFilter).ConfigureAwait(false);
            await ReleaseFilterAsync(availabilityFilter).ConfigureAwait(false);
        });
        var watch = new StateWatch<T>(subscription, propsFilter, availabilityFilter, scope, make, this);
        lock (_subscriptionsLock) _watches = [.. _watches, watch];
        await AddFilterAsync(propsFilter, cancellationToken).ConfigureAwait(false);
        await AddFilterAsync(availabilityFilter, cancellationToken).ConfigureAwait(false);
        foreach (var known in _retained.Values) watch.Offer(known, fromCache: true);
        return subscription;
    }

    private void DispatchState(ReceivedMessage message, in ParsedTopic topic)
    {
        var watches = Volatile.Read(ref _watches);
        if (watches.Length == 0) return;
        if (message.Payload.Length == 0) _retained.TryRemove(message.Topic, out _);
        else _retained[message.Topic] = message;
        foreach (var watch in watches) watch.Offer(message, fromCache: false);
    }

    private abstract class StateWatch
    {
        public abstract object Owner { get; }
        public abstract void Offer(ReceivedMessage message, bool fromCache);
    }

    /// <summary>One watch: folds props and availability messages into the latest state per station or device.</summary>
    private sealed class StateWatch<T>(EventSubscription<T> subscription, string propsFilter, string availabilityFilter, TopicScope scope,
        Func<ParsedTopic, JsonElement?, bool?, T> make, IoTHubClient client) : StateWatch
    {
        private readonly Dictionary<string, (JsonElement? Props, bool? Online)> _latest = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        public override object Owner => subscription;

        public override void Offer(ReceivedMessage message, bool fromCache)
        {
            if (!client.Topics.TryParse(message.Topic, out var topic) || topic.Scope != scope) return;
            var isProps = topic.Kind == TopicKind.Props;
            if (!isProps && topic.Kind != TopicKind.Availability) return;
            // A live copy carries the identifier of the subscription it matched; a cached one is matched by topic.
            var filter = isProps ? propsFilter : availabilityFilter;
            if (fromCache ? MqttTopicFilterComparer.Compare(message.Topic, filter) != MqttTopicFilterCompareResult.IsMatch : !client.IsFor(message, filter)) return;

            var entity = topic.Station is { } station && scope == TopicScope.Device ? $"{station}\n{topic.Id}" : topic.Id;
            T update;
            lock (_lock)
            {
                var (props, online) = _latest.GetValueOrDefault(entity);
                if (isProps) props = Props(message);
                else online = message.Payload.Length == 0 ? null : message.Payload.AsSpan().SequenceEqual("online"u8);
                if (props is null && online is null) _latest.Remove(entity); else _latest[entity] = (props, online);
                update = make(topic, props, online);
            }
            subscription.Write(update);
        }

        private static JsonElement? Props(ReceivedMessage message)
        {
            if (message.Payload.Length == 0) return null;
            try
            {
                using var doc = JsonDocument.Parse(message.Payload);
                return doc.RootElement.Clone();
            }
            catch (JsonException) { return null; }
        }
    }
}
