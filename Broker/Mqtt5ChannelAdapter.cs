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
/// itself: the client's Receive Maximum and Maximum Packet Size are honoured, expired messages are not sent, an
/// unknown topic alias is a protocol error, shared subscriptions are mapped onto plain ones, and the will is taken
/// out of the CONNECT so that <see cref="SessionSupervisor"/> publishes it with its delay.
/// </summary>
internal sealed class Mqtt5ChannelAdapter(IMqttChannelAdapter inner, SessionSupervisor supervisor) : IMqttChannelAdapter
{
    private readonly Lock _flow = new();
    private readonly HashSet<ushort> _inFlight = [];
    private readonly Queue<MqttPublishPacket> _deferred = new();
    private readonly Dictionary<ushort, string> _topicAliases = [];
    private int _ended;

    /// <summary>The CONNECT packet, once received (its ClientId is the assigned one after validation).</summary>
    public MqttConnectPacket? Connect { get; private set; }

    /// <summary>The will taken out of the CONNECT, published by the supervisor.</summary>
    public MqttConnectPacket? Will { get; private set; }

    /// <summary>The DISCONNECT the client sent, if it sent one.</summary>
    public MqttDisconnectPacket? Disconnect { get; private set; }

    /// <summary>True once a successful CONNACK went out.</summary>
    public bool Accepted { get; private set; }

    public string ClientId => Connect?.ClientId ?? "";

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

    public void Dispose() => inner.Dispose();

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
                if (connect.WillFlag && PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500)
                {
                    Will = connect;
                    connect.WillFlag = false;
                }
                break;
            case MqttPublishPacket publish:
                await ResolveTopicAliasAsync(publish, cancellationToken).ConfigureAwait(false);
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
                supervisor.SharedSubscriptions.OnSubscribe(ClientId, subscribe);
                break;
            case MqttUnsubscribePacket unsubscribe:
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
            case MqttConnAckPacket { ReasonCode: MqttConnectReasonCode.Success } connAck
                when PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500:
                connAck.SharedSubscriptionAvailable = true;
                Accepted = true;
                supervisor.OnConnected(this);
                break;
            case MqttConnAckPacket { ReasonCode: MqttConnectReasonCode.Success }:
                Accepted = true;
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
        }
        await inner.SendPacketAsync(packet, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendPublishAsync(MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        var outgoing = MessageExpiry.PrepareForSending(publish, supervisor.Time);
        var tooLarge = outgoing is not null && Connect is { MaximumPacketSize: > 0 } c && PublishPacketSize.Of(outgoing) > c.MaximumPacketSize;
        if (outgoing is null || tooLarge)
        {
            // Expired [MQTT-3.3.2-5] or larger than the client accepts [MQTT-3.1.2-25]: discarded as if delivered.
            await CompleteAsync(publish.PacketIdentifier, cancellationToken).ConfigureAwait(false);
            return;
        }
        await inner.SendPacketAsync(outgoing, cancellationToken).ConfigureAwait(false);
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
        try
        {
            await inner.SendPacketAsync(new MqttDisconnectPacket { ReasonCode = MqttDisconnectReasonCode.ProtocolError }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or IOException or OperationCanceledException) { }
        throw new MqttCommunicationException($"Client '{ClientId}' used topic alias {publish.TopicAlias} that it never set");
    }
}
