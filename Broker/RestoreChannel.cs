using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// An in-process connection that re-creates one stored session at start: it sends CONNECT (same client id and user,
/// no clean start, the expiry left), SUBSCRIBE with the stored subscriptions (retained messages not sent again) and
/// DISCONNECT, through MQTTnet's own connection path, so the session is MQTTnet's as if the client had made it.
/// MQTTnet 5.2 has no API to create a session otherwise. It never touches the network.
/// </summary>
internal sealed class RestoreChannel : IMqttChannelAdapter
{
    private static readonly IPEndPoint InProcess = new(IPAddress.Loopback, 0);
    private readonly Channel<MqttPacket> _toBroker = Channel.CreateUnbounded<MqttPacket>();
    private readonly Queue<MqttSubscribePacket> _subscribes = new();
    private int _refused;
    private int _requested;
    private readonly TaskCompletionSource<string?> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RestoreChannel(StoredSession session)
    {
        PacketFormatterAdapter = new MqttPacketFormatterAdapter(session.ProtocolVersion, new MqttBufferWriter(4096, 65536));
        _toBroker.Writer.TryWrite(new MqttConnectPacket
        {
            ClientId = session.Id,
            Username = session.UserName,
            CleanSession = false,
            SessionExpiryInterval = session.ProtocolVersion == MqttProtocolVersion.V500 ? session.ExpiryInterval : 0,
            KeepAlivePeriod = 60,
        });
        // One SUBSCRIBE per subscription identifier (MQTTnet keeps one per SUBSCRIBE); each after the SUBACK of the one before.
        ushort packetIdentifier = 0;
        foreach (var group in session.Subscriptions.Values.GroupBy(s => s.SubscriptionIdentifier))
        {
            var subscribe = new MqttSubscribePacket { PacketIdentifier = ++packetIdentifier, SubscriptionIdentifier = group.Key };
            foreach (var s in group)
            {
                subscribe.TopicFilters.Add(new MqttTopicFilter
                {
                    Topic = s.Filter,
                    QualityOfServiceLevel = s.QualityOfService,
                    NoLocal = s.NoLocal,
                    RetainAsPublished = s.RetainAsPublished,
                    RetainHandling = MqttRetainHandling.DoNotSendOnSubscribe,
                });
            }
            _subscribes.Enqueue(subscribe);
        }
    }

    /// <summary>Null once the session is back; otherwise why the broker refused it.</summary>
    public Task<string?> Outcome => _outcome.Task;

    public long BytesReceived => 0;
    public long BytesSent => 0;
    public X509Certificate2 ClientCertificate => null!;
    public EndPoint RemoteEndPoint => InProcess;
    public EndPoint LocalEndPoint => InProcess;
    public bool IsSecureConnection => false;
    public MqttPacketFormatterAdapter PacketFormatterAdapter { get; }

    public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        _outcome.TrySetResult("the broker ended the connection before the session was restored");
        return Task.CompletedTask;
    }

    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken) =>
        await _toBroker.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);

    public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        switch (packet)
        {
            case MqttConnAckPacket { ReasonCode: not MqttConnectReasonCode.Success } refused:
                _outcome.TrySetResult($"CONNACK {refused.ReasonCode}");
                break;
            case MqttConnAckPacket:
                SubscribeOrEnd();
                break;
            case MqttSubAckPacket subAck:
                _refused += subAck.ReasonCodes.Count(c => c > MqttSubscribeReasonCode.GrantedQoS2);
                _requested += subAck.ReasonCodes.Count;
                SubscribeOrEnd();
                break;
        }
        return Task.CompletedTask;
    }

    private void SubscribeOrEnd()
    {
        if (_subscribes.TryDequeue(out var next)) _toBroker.Writer.TryWrite(next);
        else End(_refused == 0 ? null : $"{_refused} of {_requested} subscriptions refused");
    }

    private void End(string? problem)
    {
        _toBroker.Writer.TryWrite(new MqttDisconnectPacket { ReasonCode = MqttDisconnectReasonCode.NormalDisconnection });
        _outcome.TrySetResult(problem);
    }

    public void ResetStatistics() { }

    public void Dispose() => _toBroker.Writer.TryComplete();
}
