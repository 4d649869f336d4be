using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// A hand-written MQTT v5 client over a bare socket, for the conformance tests: it shows every packet the broker sends
/// (CONNACK properties, topic aliases, subscription identifiers, DISCONNECT reason codes) and sends exactly what the
/// test says, which no client library does. Acknowledgements of its own PUBLISH/SUBSCRIBE/UNSUBSCRIBE are matched
/// to the waiting call; every other packet goes to <see cref="ReceiveAsync"/> in arrival order.
/// </summary>
public sealed class WireClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<WirePacket> _incoming = Channel.CreateUnbounded<WirePacket>();
    private readonly ConcurrentDictionary<(WireType, ushort), TaskCompletionSource<WirePacket>> _pending = new();
    private readonly Task _reader;
    private int _nextPacketId;

    private WireClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>When true (the default) QoS 1 and 2 PUBLISH packets from the broker are acknowledged as they arrive.</summary>
    public bool AutoAcknowledge { get; set; } = true;

    /// <summary>Completes when the broker has closed the connection.</summary>
    public Task Closed => _reader;

    public static async Task<WireClient> OpenAsync(string host, int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(host, port, Deadline.Token());
        return new WireClient(tcp);
    }

    /// <summary>Opens a connection, sends CONNECT and returns the CONNACK, failing unless it is a success.</summary>
    public static async Task<(WireClient Client, WirePacket ConnAck)> ConnectAsync(string host, int port, WireConnect connect)
    {
        var client = await OpenAsync(host, port);
        await client.SendAsync(connect.Encode());
        var connAck = await client.ReceiveAsync();
        connAck.Type.Should().Be(WireType.ConnAck);
        connAck.ReasonCode.Should().Be(0, "the CONNECT is valid");
        return (client, connAck);
    }

    public async Task SendAsync(byte[] packet)
    {
        await _writeLock.WaitAsync(Deadline.Token());
        try { await _stream.WriteAsync(packet, Deadline.Token()); }
        finally { _writeLock.Release(); }
    }

    /// <summary>The next packet that is not an acknowledgement of this client's own request.</summary>
    public async Task<WirePacket> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Deadline.Default);
        try { return await _incoming.Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no packet within {(timeout ?? Deadline.Default).TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            throw new EndOfStreamException("the broker closed the connection");
        }
    }

    /// <summary>The next PUBLISH, failing if another packet type comes first.</summary>
    public async Task<WirePacket> ReceivePublishAsync(TimeSpan? timeout = null)
    {
        var p = await ReceiveAsync(timeout);
        p.Type.Should().Be(WireType.Publish, "a PUBLISH was expected, got {0}", p);
        return p;
    }

    /// <summary>Reads PUBLISH packets until one on <paramref name="topic"/> arrives and returns those before it.</summary>
    public async Task<List<WirePacket>> ReceiveUntilAsync(string topic, TimeSpan? timeout = null)
    {
        var before = new List<WirePacket>();
        while (true)
        {
            var p = await ReceivePublishAsync(timeout);
            if (p.Topic == topic) return before;
            before.Add(p);
        }
    }

    /// <summary>Sends PINGREQ and returns every packet received before the PINGRESP: a marker that needs no other client.</summary>
    public async Task<List<WirePacket>> PingAsync()
    {
        await SendAsync(WirePackets.PingReq());
        var before = new List<WirePacket>();
        while (true)
        {
            var p = await ReceiveAsync();
            if (p.Type == WireType.PingResp) return before;
            before.Add(p);
        }
    }

    public ushort NextPacketId() => (ushort)(Interlocked.Increment(ref _nextPacketId) % 65535 + 1);

    public async Task<WirePacket> SubscribeAsync(IReadOnlyList<WireSubscription> subscriptions, int? subscriptionId = null)
    {
        var id = NextPacketId();
        var ack = await RequestAsync(WireType.SubAck, id, WirePackets.Subscribe(id, subscriptions, subscriptionId));
        ack.ReasonCodes.Should().HaveCount(subscriptions.Count);
        return ack;
    }

    /// <summary>Subscribes and fails unless every filter is granted.</summary>
    public async Task SubscribeAsync(string filter, int qos = 1, int? subscriptionId = null, bool noLocal = false,
        bool retainAsPublished = false, int retainHandling = 0)
    {
        var ack = await SubscribeAsync([new WireSubscription(filter, qos, noLocal, retainAsPublished, retainHandling)], subscriptionId);
        ack.ReasonCodes[0].Should().BeLessThan(0x80, "the subscription to {0} is granted", filter);
    }

    public async Task<WirePacket> UnsubscribeAsync(params string[] filters)
    {
        var id = NextPacketId();
        return await RequestAsync(WireType.UnsubAck, id, WirePackets.Unsubscribe(id, filters));
    }

    /// <summary>Publishes and, for QoS 1 and 2, completes the handshake; returns the PUBACK/PUBREC (null for QoS 0).</summary>
    public async Task<WirePacket?> PublishAsync(string topic, string payload, int qos = 1, bool retain = false,
        IReadOnlyList<(byte Id, object Value)>? properties = null) =>
        await PublishAsync(topic, Encoding.UTF8.GetBytes(payload), qos, retain, properties);

    public async Task<WirePacket?> PublishAsync(string topic, byte[] payload, int qos = 1, bool retain = false,
        IReadOnlyList<(byte Id, object Value)>? properties = null)
    {
        if (qos == 0)
        {
            await SendAsync(WirePackets.Publish(topic, payload, 0, 0, retain, properties: properties));
            return null;
        }
        var id = NextPacketId();
        var ack = await RequestAsync(qos == 1 ? WireType.PubAck : WireType.PubRec, id, WirePackets.Publish(topic, payload, qos, id, retain, properties: properties));
        if (qos == 2 && ack.ReasonCode < 0x80) await RequestAsync(WireType.PubComp, id, WirePackets.Ack(WireType.PubRel, id));
        return ack;
    }

    /// <summary>Sends DISCONNECT and waits until the broker closes the connection.</summary>
    public async Task DisconnectAsync(byte reasonCode = 0, uint? sessionExpiry = null)
    {
        await SendAsync(WirePackets.Disconnect(reasonCode, sessionExpiry));
        await WaitClosedAsync();
    }

    /// <summary>Closes the socket without DISCONNECT, as a crashed client or a dropped network would.</summary>
    public void Abort()
    {
        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Close();
    }

    /// <summary>Waits until the broker closes the connection; returns the packets that came before, e.g. a DISCONNECT.</summary>
    public async Task<List<WirePacket>> WaitClosedAsync(TimeSpan? timeout = null)
    {
        var seen = new List<WirePacket>();
        using var cts = new CancellationTokenSource(timeout ?? Deadline.Default);
        try
        {
            await foreach (var p in _incoming.Reader.ReadAllAsync(cts.Token)) seen.Add(p);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"the broker kept the connection open for {(timeout ?? Deadline.Default).TotalSeconds} s; saw {string.Join("; ", seen)}");
        }
        return seen;
    }

    /// <summary>Sends a packet and waits for the acknowledgement of the given type and packet identifier.</summary>
    public async Task<WirePacket> RequestAsync(WireType ackType, ushort id, byte[] packet)
    {
        var tcs = new TaskCompletionSource<WirePacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[(ackType, id)] = tcs;
        await SendAsync(packet);
        try { return await tcs.Task.WaitAsync(Deadline.Default); }
        catch (TimeoutException) { throw new TimeoutException($"no {ackType} for packet {id} within {Deadline.Default.TotalSeconds} s"); }
        finally { _pending.TryRemove((ackType, id), out _); }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            var header = new byte[1];
            while (true)
            {
                if (await _stream.ReadAsync(header) == 0) break;
                int length = 0, multiplier = 1;
                while (true)
                {
                    var b = new byte[1];
                    await _stream.ReadExactlyAsync(b);
                    length += (b[0] & 0x7F) * multiplier;
                    multiplier *= 128;
                    if ((b[0] & 0x80) == 0) break;
                }
                var body = new byte[length];
                await _stream.ReadExactlyAsync(body);
                var packet = WirePacket.Decode(header[0], body);
                if (packet.Type is WireType.PubAck or WireType.PubRec or WireType.PubComp or WireType.SubAck or WireType.UnsubAck
                    && _pending.TryGetValue((packet.Type, packet.PacketId), out var tcs))
                {
                    tcs.TrySetResult(packet);
                    continue;
                }
                if (AutoAcknowledge && packet.Type == WireType.Publish && packet.Qos > 0)
                    await SendAsync(WirePackets.Ack(packet.Qos == 1 ? WireType.PubAck : WireType.PubRec, packet.PacketId));
                if (packet.Type == WireType.PubRel)
                {
                    await SendAsync(WirePackets.Ack(WireType.PubComp, packet.PacketId));
                    continue;
                }
                _incoming.Writer.TryWrite(packet);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or EndOfStreamException or OperationCanceledException) { }
        finally
        {
            _incoming.Writer.TryComplete();
            foreach (var tcs in _pending.Values) tcs.TrySetException(new EndOfStreamException("the broker closed the connection"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        _writeLock.Dispose();
    }
}
