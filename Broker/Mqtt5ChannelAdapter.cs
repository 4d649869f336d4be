using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// One client connection as MQTTnet's server sees it, with what MQTT v5 asks of a server and MQTTnet 5.2 does not do
/// itself: the client's Receive Maximum and Maximum Packet Size are honoured, topic aliases are used towards a client
/// that allows them, expired messages are not sent, an unknown topic alias is a protocol error, the broker's own
/// Receive Maximum and maximum keep alive are announced and enforced, shared subscriptions are mapped onto plain ones,
/// and the will is taken out of the CONNECT so that <see cref="SessionSupervisor"/> publishes it with its delay.
/// </summary>
internal sealed class Mqtt5ChannelAdapter(IMqttChannelAdapter inner, SessionSupervisor supervisor, BrokerOptions options) : IMqttChannelAdapter
{
    private readonly Lock _flow = new();
    private readonly HashSet<ushort> _inFlight = [];
    private readonly Queue<MqttPublishPacket> _deferred = new();
    private readonly Dictionary<ushort, string> _topicAliases = [];
    // QoS 1/2 PUBLISH packets from the client the broker has not yet answered with PUBACK / PUBCOMP (3.3.4, 4.9).
    private readonly HashSet<ushort> _unanswered = [];
    // PUBLISH packets go out one at a time: an alias must reach the wire with its topic before it is used alone.
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private OutgoingTopicAliases _outgoingAliases = new(0);
    // SUBSCRIBE packets awaiting their SUBACK, with the filters as the client sent them, for the session store.
    private readonly Dictionary<ushort, List<StoredSubscription>> _subscribing = [];
    private readonly Dictionary<ushort, List<string>> _unsubscribing = [];
    private ushort? _serverKeepAlive;
    private int _ended;

    /// <summary>The CONNECT packet, once received (its ClientId is the assigned one after validation).</summary>
    public MqttConnectPacket? Connect { get; private set; }

    /// <summary>The will taken out of the CONNECT, published by the supervisor.</summary>
    public MqttConnectPacket? Will { get; private set; }

    /// <summary>The DISCONNECT the client sent, if it sent one.</summary>
    public MqttDisconnectPacket? Disconnect { get; private set; }

    /// <summary>True once a successful CONNACK went out.</summary>
    public bool Accepted { get; private set; }

    /// <summary>The CONNACK's Session Present: MQTTnet had a session for this client id.</summary>
    public bool SessionPresent { get; private set; }

    public string ClientId => Connect?.ClientId ?? "";

    /// <summary>An in-process connection of the broker's own (<see cref="RestoreChannel"/>), not a client's.</summary>
    public bool IsInProcess => inner is RestoreChannel;

    private int ReceiveMaximum => Connect is { ReceiveMaximum: > 0 } c ? c.ReceiveMaximum : 65535;

    public long BytesReceived => inner.BytesReceived;
    public long BytesSent => inner.BytesSent;
    public X509Certificate2 ClientCertificate => inner.ClientCertificate;
    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;
    public EndPoint LocalEndPoint => inner.LocalEndPoint;
    public bool IsSecureConnection => inner.IsSecureConnection;
    public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        // MQTTnet calls this once the connection is over, after its own session bookkeeping.
        if (Interlocked.Exchange(ref _ended, 1) == 0 && Accepted) supervisor.OnConnectionEnded(this);
        await inner.DisconnectAsync(cancellationToken).ConfigureAwait(false);
    }

    public void ResetStatistics() => inner.ResetStatistics();

    public void Dispose()
    {
        _publishing.Dispose();
        inner.Dispose();
    }

    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        var packet = await inner.ReceivePacketAsync(cancellationToken).ConfigureAwait(false);
        switch (packet)
        {
            case MqttConnectPacket connect:
                // MQTT 3.1.1 3.1.3-6/7: a zero-byte client id with a clean session gets one from the server (MQTTnet
                // refuses it; Mosquitto and mosquitto_pub -V mqttv311 rely on it). v5 clients are served in validation.
                if (string.IsNullOrEmpty(connect.ClientId) && connect.CleanSession
                    && PacketFormatterAdapter.ProtocolVersion != MqttProtocolVersion.V500)
                    connect.ClientId = "auto-" + Guid.NewGuid().ToString("N");
                Connect = connect;
                if (PacketFormatterAdapter.ProtocolVersion != MqttProtocolVersion.V500) break;
                if (connect.WillFlag)
                {
                    Will = connect;
                    connect.WillFlag = false;
                }
                _outgoingAliases = new OutgoingTopicAliases(connect.TopicAliasMaximum);
                // 3.1.2.10 / 3.2.2.3.14: no keep alive, or a longer one than the broker allows, is replaced by the
                // broker's; MQTTnet's keep-alive check then closes the connection after 1.5 times that.
                var maxKeepAlive = (ushort)options.MaxKeepAlive.TotalSeconds;
                if (connect.KeepAlivePeriod == 0 || connect.KeepAlivePeriod > maxKeepAlive)
                {
                    connect.KeepAlivePeriod = maxKeepAlive;
                    _serverKeepAlive = maxKeepAlive;
                }
                break;
            case MqttPublishPacket publish:
                await ResolveTopicAliasAsync(publish, cancellationToken).ConfigureAwait(false);
                await CountUnansweredAsync(publish, cancellationToken).ConfigureAwait(false);
                break;
            case MqttPubAckPacket ack:
                await CompleteAsync(ack.PacketIdentifier, cancellationToken).ConfigureAwait(false);
                break;
            case MqttPubCompPacket comp:
                await CompleteAsync(comp.PacketIdentifier, cancellationToken).ConfigureAwait(false);
                break;
            case MqttPubRecPacket { ReasonCode: >= MqttPubRecReasonCode.UnspecifiedError } failed:
                await CompleteAsync(failed.PacketIdentifier, cancellationToken).ConfigureAwait(false);
                break;
            case MqttSubscribePacket subscribe:
                if (supervisor.Store is not null)
                {
                    var asked = subscribe.TopicFilters.Select(f => new StoredSubscription(
                        f.Topic, f.QualityOfServiceLevel, f.NoLocal, f.RetainAsPublished, subscribe.SubscriptionIdentifier)).ToList();
                    lock (_flow) _subscribing[subscribe.PacketIdentifier] = asked;
                }
                supervisor.SharedSubscriptions.OnSubscribe(ClientId, subscribe);
                break;
            case MqttUnsubscribePacket unsubscribe:
                if (supervisor.Store is not null) lock (_flow) _unsubscribing[unsubscribe.PacketIdentifier] = [.. unsubscribe.TopicFilters];
                supervisor.SharedSubscriptions.OnUnsubscribe(ClientId, unsubscribe);
                break;
            case MqttDisconnectPacket disconnect:
                Disconnect = disconnect;
                break;
        }
        return packet;
    }

    public async Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        switch (packet)
        {
            case MqttConnAckPacket { ReasonCode: MqttConnectReasonCode.Success } connAck:
                if (PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500)
                {
                    connAck.SharedSubscriptionAvailable = true;
                    connAck.ReceiveMaximum = (ushort)options.ReceiveMaximum;
                    if (_serverKeepAlive is { } keepAlive) connAck.ServerKeepAlive = keepAlive;
                }
                Accepted = true;
                SessionPresent = connAck.IsSessionPresent;
                supervisor.OnConnected(this);
                break;
            case MqttPublishPacket publish:
                if (publish.QualityOfServiceLevel > MqttQualityOfServiceLevel.AtMostOnce)
                {
                    lock (_flow)
                    {
                        // [MQTT-3.3.4-9]: no more than Receive Maximum unacknowledged QoS 1 and 2 PUBLISH packets;
                        // the rest wait here (MQTTnet's send loop goes on with PINGRESP, SUBACK...) for an acknowledgement.
                        if (_inFlight.Count >= ReceiveMaximum || _deferred.Count > 0)
                        {
                            _deferred.Enqueue(publish);
                            return;
                        }
                        _inFlight.Add(publish.PacketIdentifier);
                    }
                }
                await SendPublishAsync(publish, cancellationToken).ConfigureAwait(false);
                return;
            case MqttPubAckPacket ack:
                Answered(ack.PacketIdentifier);
                break;
            case MqttPubCompPacket comp:
                Answered(comp.PacketIdentifier);
                break;
            case MqttPubRecPacket { ReasonCode: >= MqttPubRecReasonCode.UnspecifiedError } refused:
                Answered(refused.PacketIdentifier);
                break;
            case MqttSubAckPacket subAck when supervisor.Store is { } store:
                List<StoredSubscription>? asked;
                lock (_flow) _subscribing.Remove(subAck.PacketIdentifier, out asked);
                // Stored before the SUBACK leaves: once the client knows it is subscribed, a restart keeps it so.
                if (asked is not null) store.Subscribed(ClientId, Granted(asked, subAck.ReasonCodes));
                break;
            case MqttUnsubAckPacket unsubAck when supervisor.Store is { } store:
                // At the UNSUBACK, which MQTTnet sends in order with SUBACKs: a SUBSCRIBE and UNSUBSCRIBE sent back to
                // back are stored in the order MQTTnet applied them.
                List<string>? filters;
                lock (_flow) _unsubscribing.Remove(unsubAck.PacketIdentifier, out filters);
                if (filters is not null) store.Unsubscribed(ClientId, filters);
                break;
        }
        await inner.SendPacketAsync(packet, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendPublishAsync(MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        MqttPublishPacket? outgoing;
        await _publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            outgoing = MessageExpiry.PrepareForSending(publish, supervisor.Time);
            if (outgoing is not null)
            {
                var (aliased, newAlias) = _outgoingAliases.Apply(outgoing);
                // A new alias makes the packet 3 bytes longer: if that is too much, it goes out without one.
                outgoing = Fits(aliased) ? aliased : newAlias && Fits(OutgoingTopicAliases.WithoutAlias(outgoing)) ? OutgoingTopicAliases.WithoutAlias(outgoing) : null;
                if (outgoing is not null)
                {
                    await inner.SendPacketAsync(outgoing, cancellationToken).ConfigureAwait(false);
                    if (newAlias && outgoing == aliased) _outgoingAliases.Assigned(outgoing);
                }
            }
        }
        finally
        {
            _publishing.Release();
        }
        // Expired [MQTT-3.3.2-5] or larger than the client accepts [MQTT-3.1.2-25]: discarded as if delivered.
        if (outgoing is null)
        {
            supervisor.Store?.Done(ClientId, publish);
            await CompleteAsync(publish.PacketIdentifier, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The filters a SUBACK granted, each at the QoS granted (which may be below the one asked for).</summary>
    private static List<StoredSubscription> Granted(List<StoredSubscription> asked, List<MqttSubscribeReasonCode> codes)
    {
        var granted = new List<StoredSubscription>(asked.Count);
        for (var i = 0; i < asked.Count && i < codes.Count; i++)
        {
            if (codes[i] > MqttSubscribeReasonCode.GrantedQoS2) continue;
            granted.Add(asked[i] with { QualityOfService = (MqttQualityOfServiceLevel)Math.Min((int)asked[i].QualityOfService, (int)codes[i]) });
        }
        return granted;
    }

    private bool Fits(MqttPublishPacket packet) =>
        Connect is not { MaximumPacketSize: > 0 } c || PublishPacketSize.Of(packet) <= c.MaximumPacketSize;

    /// <summary>
    /// [MQTT-3.3.4-7..8]: a client may have at most the broker's Receive Maximum QoS 1 and 2 PUBLISH packets
    /// unanswered; one more is answered with DISCONNECT 0x93 (Receive Maximum exceeded).
    /// </summary>
    private async Task CountUnansweredAsync(MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        if (publish.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce
            || PacketFormatterAdapter.ProtocolVersion != MqttProtocolVersion.V500) return;
        int count;
        lock (_flow)
        {
            _unanswered.Add(publish.PacketIdentifier);
            count = _unanswered.Count;
        }
        if (count > options.ReceiveMaximum)
            await DisconnectWithAsync(MqttDisconnectReasonCode.ReceiveMaximumExceeded,
                $"Client '{ClientId}' sent more than {options.ReceiveMaximum} unacknowledged QoS 1/2 messages", cancellationToken).ConfigureAwait(false);
    }

    private void Answered(ushort packetIdentifier)
    {
        lock (_flow) _unanswered.Remove(packetIdentifier);
    }

    /// <summary>Frees the in-flight slot of an acknowledged (or discarded) PUBLISH and sends what waited for it.</summary>
    private async Task CompleteAsync(ushort packetIdentifier, CancellationToken cancellationToken)
    {
        MqttPublishPacket? next;
        lock (_flow)
        {
            if (!_inFlight.Remove(packetIdentifier)) return;
            if (!_deferred.TryDequeue(out next)) return;
            _inFlight.Add(next.PacketIdentifier);
        }
        await SendPublishAsync(next, cancellationToken).ConfigureAwait(false);
    }

    private async Task ResolveTopicAliasAsync(MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        if (PacketFormatterAdapter.ProtocolVersion != MqttProtocolVersion.V500) return;
        if (publish.TopicAlias != 0 && !string.IsNullOrEmpty(publish.Topic))
        {
            _topicAliases[publish.TopicAlias] = publish.Topic;
            return;
        }
        if (!string.IsNullOrEmpty(publish.Topic) || (publish.TopicAlias != 0 && _topicAliases.ContainsKey(publish.TopicAlias))) return;

        // 3.3.2.3.4: an empty topic with an alias that was never set (or without alias) is a Protocol Error; MQTTnet
        // would log a warning and route the message with an empty topic.
        await DisconnectWithAsync(MqttDisconnectReasonCode.ProtocolError, $"Client '{ClientId}' used topic alias {publish.TopicAlias} that it never set",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends DISCONNECT with the reason code and ends the connection: MQTTnet sees the exception and closes it.</summary>
    private async Task DisconnectWithAsync(MqttDisconnectReasonCode reasonCode, string why, CancellationToken cancellationToken)
    {
        try
        {
            await inner.SendPacketAsync(new MqttDisconnectPacket { ReasonCode = reasonCode }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or IOException or OperationCanceledException) { }
        throw new MqttCommunicationException(why);
    }
}
