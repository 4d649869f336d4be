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
/// itself. This class only routes each packet, in each direction, to the part that owns the behaviour:
/// <list type="bullet">
/// <item><see cref="ConnectRewrite"/>: client id for 3.1.1, the will taken out for <see cref="SessionSupervisor"/>,
/// the broker's maximum keep alive (announced in CONNACK with its Receive Maximum and shared subscriptions);</item>
/// <item><see cref="IncomingTopicAliases"/>, <see cref="TopicAliasZero"/>: an unknown topic alias is a protocol
/// error, an alias of 0 invalid;</item>
/// <item><see cref="InboundQuota"/>: the broker's Receive Maximum is enforced;</item>
/// <item><see cref="OutboundFlow"/>: the client's Receive Maximum is honoured;</item>
/// <item><see cref="OutgoingPublishes"/>: expired messages are not sent, the client's Maximum Packet Size is
/// honoured, topic aliases are used towards a client that allows them;</item>
/// <item><see cref="SharedSubscriptions"/>: shared subscriptions are mapped onto plain ones;</item>
/// <item><see cref="SubscriptionRecorder"/>: subscriptions reach the <see cref="SessionStore"/>;</item>
/// <item><see cref="UnsubscribeBarrier"/>: an UNSUBSCRIBE takes effect when it is read.</item>
/// </list>
/// </summary>
internal sealed class Mqtt5ChannelAdapter : IMqttChannelAdapter
{
    private readonly IMqttChannelAdapter _inner;
    private readonly SessionSupervisor _supervisor;
    private readonly BrokerOptions _options;
    private readonly IncomingTopicAliases _incomingAliases = new();
    private readonly TopicAliasZero _aliasZero = new();
    private readonly InboundQuota _quota;
    private readonly OutboundFlow _flow = new();
    private readonly OutgoingPublishes _publishes;
    private readonly SubscriptionRecorder? _recorder;
    private ushort? _serverKeepAlive;
    private int _ended;

    public Mqtt5ChannelAdapter(IMqttChannelAdapter inner, SessionSupervisor supervisor, BrokerOptions options)
    {
        _inner = inner;
        _supervisor = supervisor;
        _options = options;
        _quota = new InboundQuota(options.ReceiveMaximum);
        _publishes = new OutgoingPublishes(inner, supervisor.Time);
        _recorder = supervisor.Store is { } store ? new SubscriptionRecorder(store) : null;
        _aliasZero.Attach(inner);
    }

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
    public bool IsInProcess => _inner is RestoreChannel;

    private bool IsV5 => PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500;

    public long BytesReceived => _inner.BytesReceived;
    public long BytesSent => _inner.BytesSent;
    public X509Certificate2 ClientCertificate => _inner.ClientCertificate;
    public EndPoint RemoteEndPoint => _inner.RemoteEndPoint;
    public EndPoint LocalEndPoint => _inner.LocalEndPoint;
    public bool IsSecureConnection => _inner.IsSecureConnection;
    public MqttPacketFormatterAdapter PacketFormatterAdapter => _inner.PacketFormatterAdapter;

    public Task ConnectAsync(CancellationToken cancellationToken) => _inner.ConnectAsync(cancellationToken);

    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        // MQTTnet calls this once the connection is over, after its own session bookkeeping.
        if (Interlocked.Exchange(ref _ended, 1) == 0 && Accepted) _supervisor.OnConnectionEnded(this);
        await _inner.DisconnectAsync(cancellationToken).ConfigureAwait(false);
    }

    public void ResetStatistics() => _inner.ResetStatistics();

    public void Dispose()
    {
        _publishes.Dispose();
        _inner.Dispose();
    }

    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        var packet = await _inner.ReceivePacketAsync(cancellationToken).ConfigureAwait(false);
        switch (packet)
        {
            case MqttConnectPacket connect:
                (Will, _serverKeepAlive) = ConnectRewrite.Apply(connect, PacketFormatterAdapter.ProtocolVersion, _options);
                Connect = connect;
                if (!IsV5) break;
                _flow.ReceiveMaximum = connect.ReceiveMaximum > 0 ? connect.ReceiveMaximum : 65535;
                _publishes.Configure(connect.TopicAliasMaximum, connect.MaximumPacketSize);
                break;
            case MqttPublishPacket publish when IsV5:
                // [MQTT-3.3.2-8] / 3.3.2.3.4: an alias of 0, or above the broker's Topic Alias Maximum, is invalid.
                if (_aliasZero.TakeSeen())
                    await DisconnectWithAsync(MqttDisconnectReasonCode.TopicAliasInvalid, "sent topic alias 0", cancellationToken).ConfigureAwait(false);
                // 3.3.2.3.4: an alias never set is a Protocol Error.
                if (_incomingAliases.Check(publish) is { } aliasProblem)
                    await DisconnectWithAsync(MqttDisconnectReasonCode.ProtocolError, aliasProblem, cancellationToken).ConfigureAwait(false);
                if (!_quota.Received(publish))
                    await DisconnectWithAsync(MqttDisconnectReasonCode.ReceiveMaximumExceeded,
                        $"sent more than {_quota.Maximum} unacknowledged QoS 1/2 messages", cancellationToken).ConfigureAwait(false);
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
                _recorder?.Subscribing(subscribe);
                _supervisor.SharedSubscriptions.OnSubscribe(ClientId, subscribe);
                _supervisor.Unsubscribes.Subscribing(ClientId, subscribe);
                break;
            case MqttUnsubscribePacket unsubscribe:
                _recorder?.Unsubscribing(unsubscribe);
                _supervisor.SharedSubscriptions.OnUnsubscribe(ClientId, unsubscribe);
                // In effect from here, before MQTTnet applies it on a later turn of its receive loop.
                _supervisor.Unsubscribes.Unsubscribing(ClientId, unsubscribe);
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
                if (IsV5)
                {
                    connAck.SharedSubscriptionAvailable = true;
                    connAck.ReceiveMaximum = (ushort)_options.ReceiveMaximum;
                    connAck.MaximumPacketSize = (uint)_options.MaxPacketSize;
                    if (_serverKeepAlive is { } keepAlive) connAck.ServerKeepAlive = keepAlive;
                }
                Accepted = true;
                SessionPresent = connAck.IsSessionPresent;
                _supervisor.OnConnected(this);
                break;
            case MqttPublishPacket publish:
                if (publish.QualityOfServiceLevel > MqttQualityOfServiceLevel.AtMostOnce && !_flow.TryStart(publish)) return;
                await SendPublishAsync(publish, cancellationToken).ConfigureAwait(false);
                return;
            case MqttPubAckPacket ack:
                _quota.Answered(ack.PacketIdentifier);
                break;
            case MqttPubCompPacket comp:
                _quota.Answered(comp.PacketIdentifier);
                break;
            case MqttPubRecPacket { ReasonCode: >= MqttPubRecReasonCode.UnspecifiedError } refused:
                _quota.Answered(refused.PacketIdentifier);
                break;
            case MqttSubAckPacket subAck:
                _recorder?.SubAckSending(ClientId, subAck);
                break;
            case MqttUnsubAckPacket unsubAck:
                _recorder?.UnsubAckSending(ClientId, unsubAck);
                _supervisor.Unsubscribes.Unsubscribed(ClientId, unsubAck.PacketIdentifier);
                break;
        }
        await _inner.SendPacketAsync(packet, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendPublishAsync(MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        if (await _publishes.SendAsync(publish, cancellationToken).ConfigureAwait(false)) return;
        // Discarded as if delivered: the store forgets it and its in-flight slot is free.
        _supervisor.Store?.Done(ClientId, publish);
        await CompleteAsync(publish.PacketIdentifier, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Frees the in-flight slot of an acknowledged (or discarded) PUBLISH and sends what waited for it.</summary>
    private async Task CompleteAsync(ushort packetIdentifier, CancellationToken cancellationToken)
    {
        if (_flow.Complete(packetIdentifier) is { } next) await SendPublishAsync(next, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends DISCONNECT with the reason code and ends the connection: MQTTnet sees the exception and closes it.</summary>
    private async Task DisconnectWithAsync(MqttDisconnectReasonCode reasonCode, string why, CancellationToken cancellationToken)
    {
        try
        {
            await _inner.SendPacketAsync(new MqttDisconnectPacket { ReasonCode = reasonCode }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or IOException or OperationCanceledException) { }
        throw new MqttCommunicationException($"Client '{ClientId}' {why}");
    }
}
