using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace MqttIoT.Broker;

/// <summary>
/// What MQTT v5 says happens between connections of a client and MQTTnet 5.2 leaves out: the will waits for its
/// Will Delay Interval and is cancelled by a reconnect in time (3.1.3.2.2), goes out when the session ends first,
/// on DISCONNECT 0x04 and on a takeover (3.1.4-3); a session ends when its Session Expiry Interval has passed
/// (3.1.2.11.2), not only when the client next connects; shared subscriptions follow the session.
/// </summary>
internal sealed partial class SessionSupervisor(ILogger logger, TimeProvider time) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Mqtt5ChannelAdapter> _connected = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Offline> _offline = new(StringComparer.Ordinal);
    // The CONNECT that created each session: MQTTnet takes the session's expiry from it for good (MqttSession.ExpiryInterval)
    // and drops the session when a client comes back after that, ignoring a later CONNECT's or DISCONNECT's interval.
    private readonly Dictionary<string, MqttConnectPacket> _sessionCreatedBy = new(StringComparer.Ordinal);
    private MqttServer? _server;

    public TimeProvider Time => time;

    public SharedSubscriptions SharedSubscriptions { get; } = new();

    public UnsubscribeBarrier Unsubscribes { get; } = new();

    /// <summary>Where persistent sessions are kept across restarts; null: in memory only.</summary>
    public SessionStore? Store { get; set; }

    public void Attach(MqttServer server)
    {
        _server = server;
        server.SessionDeletedAsync += e =>
        {
            SharedSubscriptions.Forget(e.Id);
            Unsubscribes.Forget(e.Id);
            lock (_lock) _sessionCreatedBy.Remove(e.Id);
            return Task.CompletedTask;
        };
    }

    /// <summary>Whether a message MQTTnet is about to queue for <paramref name="clientId"/> is for it (see <see cref="SharedSubscriptions"/>).</summary>
    public bool IsPickedReceiver(string clientId, MqttApplicationMessage message) => SharedSubscriptions.ShouldDeliver(clientId, message, IsConnected);

    public bool IsConnected(string clientId)
    {
        lock (_lock) return _connected.ContainsKey(clientId);
    }

    /// <summary>A successful CONNACK is on its way: the client id is final.</summary>
    public void OnConnected(Mqtt5ChannelAdapter connection)
    {
        var id = connection.ClientId;
        var cleanStart = connection.Connect?.CleanSession ?? true;
        Offline? previous;
        lock (_lock)
        {
            _connected[id] = connection;
            if (_offline.Remove(id, out previous)) previous.Timer.Dispose();
            if (!connection.SessionPresent && connection.Connect is { } created) _sessionCreatedBy[id] = created;
        }
        if (cleanStart) SharedSubscriptions.Forget(id);
        // A new session (CONNACK before any SUBSCRIBE of it) has no filters.
        if (cleanStart || !connection.SessionPresent) Unsubscribes.Forget(id);
        if (connection.Connect is { } connect)
            Store?.Connected(id, connect.Username, cleanStart, connect.SessionExpiryInterval, connection.PacketFormatterAdapter.ProtocolVersion,
                // The broker's own restore connection makes the session MQTTnet then has: it is present for the store.
                sessionPresent: connection.SessionPresent || connection.IsInProcess);
        // Back before the will delay: the will is cancelled, unless the clean start ends the old session.
        if (previous?.Will is { } will && cleanStart) PublishWill(id, will);
    }

    /// <summary>The connection is over (MQTTnet has done its own session bookkeeping).</summary>
    public void OnConnectionEnded(Mqtt5ChannelAdapter connection)
    {
        var id = connection.ClientId;
        var disconnect = connection.Disconnect;
        var will = disconnect is null || disconnect.ReasonCode == MqttDisconnectReasonCode.DisconnectWithWillMessage ? connection.Will : null;
        var expiry = disconnect is { SessionExpiryInterval: > 0 } d ? d.SessionExpiryInterval : connection.Connect?.SessionExpiryInterval ?? 0;

        Mqtt5ChannelAdapter? successor;
        lock (_lock)
        {
            _connected.TryGetValue(id, out successor);
            if (successor == connection)
            {
                successor = null;
                _connected.Remove(id);
            }
        }

        if (successor is not null)
        {
            // Taken over: the session goes on with the new connection unless that one started clean.
            if (will is not null && (will.WillDelayInterval == 0 || successor.Connect?.CleanSession != false)) PublishWill(id, will);
            return;
        }
        Store?.Disconnected(id, expiry);
        // 3.1.2.11.2 / 3.14.2.2.2: the interval now in force (the last CONNECT's, or the DISCONNECT's) is the one
        // MQTTnet must check when the client comes back; this supervisor ends the session when it elapses.
        if (expiry > 0 && connection.PacketFormatterAdapter.ProtocolVersion == MQTTnet.Formatter.MqttProtocolVersion.V500)
            lock (_lock)
                if (_sessionCreatedBy.TryGetValue(id, out var created)) created.SessionExpiryInterval = expiry;
        if (expiry == 0)
        {
            SharedSubscriptions.Forget(id);
            Unsubscribes.Forget(id);
            if (will is not null) PublishWill(id, will);
            return;
        }
        if (will is { WillDelayInterval: 0 })
        {
            PublishWill(id, will);
            will = null;
        }
        var sessionEnd = expiry == uint.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(expiry);
        var willDue = will is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(will.WillDelayInterval);
        if (sessionEnd != Timeout.InfiniteTimeSpan && (willDue == Timeout.InfiniteTimeSpan || willDue > sessionEnd)) willDue = sessionEnd;
        var offline = new Offline(will, sessionEnd, time.GetTimestamp());
        offline.Timer = time.CreateTimer(_ => OnOfflineTimer(id, offline), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (_lock)
        {
            if (_offline.Remove(id, out var stale)) stale.Timer.Dispose();
            _offline[id] = offline;
        }
        offline.Timer.Change(Min(willDue, sessionEnd), Timeout.InfiniteTimeSpan);
    }

    private void OnOfflineTimer(string id, Offline offline)
    {
        bool sessionEnds;
        lock (_lock)
        {
            if (!_offline.TryGetValue(id, out var current) || current != offline) return;
            var elapsed = time.GetElapsedTime(offline.Since);
            sessionEnds = offline.SessionEnd != Timeout.InfiniteTimeSpan && elapsed >= offline.SessionEnd - TimeSpan.FromMilliseconds(1);
            if (sessionEnds) _offline.Remove(id);
            else offline.Timer.Change(offline.SessionEnd == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : offline.SessionEnd - elapsed, Timeout.InfiniteTimeSpan);
        }
        var will = offline.Will;
        offline.Will = null;
        // A will sent because the session ended goes out once the session is gone: whoever reacts to it by
        // reconnecting finds no session (Session Present 0), as the will said.
        if (sessionEnds) _ = EndSessionAsync(id, will);
        else if (will is not null) PublishWill(id, will);
    }

    private async Task EndSessionAsync(string id, MqttConnectPacket? will)
    {
        SharedSubscriptions.Forget(id);
        try
        {
            if (_server is not { IsStarted: true } server || IsConnected(id)) return;
            var session = await server.GetSessionAsync(id).ConfigureAwait(false);
            if (session.DisconnectedTimestamp is not null) await session.DeleteAsync().ConfigureAwait(false);
            LogSessionExpired(id);
        }
        catch (InvalidOperationException) { } // already gone
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSessionEndFailed(id, ex.Message);
        }
        finally
        {
            if (will is not null) await PublishWillAsync(id, will).ConfigureAwait(false);
        }
    }

    private void PublishWill(string id, MqttConnectPacket will) => _ = PublishWillAsync(id, will);

    private async Task PublishWillAsync(string id, MqttConnectPacket will)
    {
        try
        {
            if (_server is not { IsStarted: true } server) return;
            var message = new MqttApplicationMessage
            {
                Topic = will.WillTopic,
                PayloadSegment = will.WillMessage ?? [],
                QualityOfServiceLevel = will.WillQoS,
                Retain = will.WillRetain,
                MessageExpiryInterval = will.WillMessageExpiryInterval,
                ContentType = will.WillContentType,
                ResponseTopic = will.WillResponseTopic,
                CorrelationData = will.WillCorrelationData,
                PayloadFormatIndicator = will.WillPayloadFormatIndicator,
                UserProperties = will.WillUserProperties,
            };
            // Published as the client that set it, so the ACL judges the will as it would the client's own publish.
            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = id, SenderUserName = will.Username })
                .ConfigureAwait(false);
            LogWillPublished(id, will.WillTopic);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogWillFailed(id, ex.Message);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) =>
        a == Timeout.InfiniteTimeSpan ? b : b == Timeout.InfiniteTimeSpan ? a : a < b ? a : b;

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var o in _offline.Values) o.Timer.Dispose();
            _offline.Clear();
        }
    }

    /// <summary>A disconnected client whose session goes on: its pending will and when the session ends.</summary>
    private sealed class Offline(MqttConnectPacket? will, TimeSpan sessionEnd, long since)
    {
        public MqttConnectPacket? Will { get; set; } = will;
        public ITimer Timer { get; set; } = null!;
        public TimeSpan SessionEnd { get; } = sessionEnd;
        public long Since { get; } = since;
    }

    [LoggerMessage(EventId = 4015, Level = LogLevel.Information, Message = "Client '{ClientId}': will published on {Topic}")]
    private partial void LogWillPublished(string clientId, string topic);

    [LoggerMessage(EventId = 4016, Level = LogLevel.Warning, Message = "Client '{ClientId}': could not publish the will: {Error}")]
    private partial void LogWillFailed(string clientId, string error);

    [LoggerMessage(EventId = 4017, Level = LogLevel.Information, Message = "Client '{ClientId}': session expired")]
    private partial void LogSessionExpired(string clientId);

    [LoggerMessage(EventId = 4018, Level = LogLevel.Warning, Message = "Client '{ClientId}': could not end the expired session: {Error}")]
    private partial void LogSessionEndFailed(string clientId, string error);
}
