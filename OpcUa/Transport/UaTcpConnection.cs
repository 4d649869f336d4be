using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Transport;

/// <summary>
/// One UA TCP connection (OPC 10000-6 §7.1): the HEL/ACK handshake, then whole chunks in and out. Every chunk
/// starts with a three-letter type, a chunk type (F, C or A) and a UInt32 size that includes the 8-byte header.
/// </summary>
internal sealed class UaTcpConnection : IAsyncDisposable
{
    public const int HeaderSize = 8;
    private const uint ProtocolVersion = 0;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly int _receiveBufferSize;

    private UaTcpConnection(TcpClient tcp, int receiveBufferSize, TransportLimits limits)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _receiveBufferSize = receiveBufferSize;
        Limits = limits;
    }

    public TransportLimits Limits { get; }

    /// <summary>Connects, sends HEL and waits for ACK (or ERR, which becomes an <see cref="OpcUaException"/>).</summary>
    public static async Task<UaTcpConnection> ConnectAsync(OpcUaClientOptions options, CancellationToken cancellationToken)
    {
        var uri = new Uri(options.EndpointUrl);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(options.ConnectTimeout);
                try { await tcp.ConnectAsync(uri.Host, uri.Port < 0 ? 4840 : uri.Port, connectTimeout.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new OpcUaException(StatusCodes.BadTimeout, $"no TCP connection to {uri.Host}:{uri.Port} within {options.ConnectTimeout.TotalSeconds} s");
                }
                catch (SocketException ex)
                {
                    throw new OpcUaException(StatusCodes.BadConnectionRejected, $"cannot connect to {uri.Host}:{uri.Port} ({ex.SocketErrorCode})", ex);
                }
            }

            var stream = tcp.GetStream();
            await stream.WriteAsync(EncodeHello(options), cancellationToken).ConfigureAwait(false);
            using var ackTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ackTimeout.CancelAfter(options.OperationTimeout);
            var (type, _, body) = await ReadChunkAsync(stream, options.ReceiveBufferSize, ackTimeout.Token).ConfigureAwait(false);
            if (type != "ACK") throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"the server answered HEL with {type}, not ACK");
            var limits = DecodeAcknowledge(body, options);
            return new UaTcpConnection(tcp, options.ReceiveBufferSize, limits);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Reads the next whole chunk: its type, chunk type and the bytes after the 8-byte header. ERR throws.</summary>
    public Task<(string Type, char ChunkType, byte[] Body)> ReadChunkAsync(CancellationToken cancellationToken) =>
        ReadChunkAsync(_stream, _receiveBufferSize, cancellationToken);

    /// <summary>Sends one chunk (the caller serialises writers).</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken) => _stream.WriteAsync(chunk, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    internal static byte[] EncodeHello(OpcUaClientOptions options)
    {
        var e = new BinaryEncoder();
        e.WriteRaw("HELF"u8);
        e.WriteUInt32(0); // size, set below
        e.WriteUInt32(ProtocolVersion);
        e.WriteUInt32((uint)options.ReceiveBufferSize);
        e.WriteUInt32((uint)options.SendBufferSize);
        e.WriteUInt32((uint)options.MaxMessageSize);
        e.WriteUInt32((uint)options.MaxChunkCount);
        e.WriteString(options.EndpointUrl);
        var bytes = e.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)bytes.Length);
        return bytes;
    }

    internal static TransportLimits DecodeAcknowledge(byte[] body, OpcUaClientOptions options)
    {
        var d = new BinaryDecoder(body);
        uint version = d.ReadUInt32();
        uint serverReceive = d.ReadUInt32();
        uint serverSend = d.ReadUInt32();
        uint maxMessage = d.ReadUInt32();
        uint maxChunks = d.ReadUInt32();
        if (version != ProtocolVersion && version < ProtocolVersion)
            throw new OpcUaException(StatusCodes.BadProtocolVersionUnsupported, $"the server speaks UA TCP version {version}");
        if (serverReceive < OpcUaClientOptions.MinBufferSize || serverSend < OpcUaClientOptions.MinBufferSize)
            throw new OpcUaException(StatusCodes.BadCommunicationError,
                $"the server's ACK announces buffers of {serverReceive}/{serverSend} bytes, under the minimum of {OpcUaClientOptions.MinBufferSize}");
        if (serverSend > options.ReceiveBufferSize)
            throw new OpcUaException(StatusCodes.BadCommunicationError,
                $"the server would send chunks of {serverSend} bytes, over the {options.ReceiveBufferSize} this client announced");
        return new TransportLimits(
            SendChunkSize: (int)Math.Min((uint)options.SendBufferSize, serverReceive),
            ReceiveChunkSize: (int)serverSend,
            RemoteMaxMessageSize: (int)Math.Min(maxMessage, int.MaxValue),
            RemoteMaxChunkCount: (int)Math.Min(maxChunks, int.MaxValue));
    }

    private static async Task<(string, char, byte[])> ReadChunkAsync(NetworkStream stream, int receiveBufferSize, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        try { await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false); }
        catch (EndOfStreamException ex) { throw new OpcUaException(StatusCodes.BadConnectionClosed, "the server closed the connection", ex); }
        var type = Encoding.ASCII.GetString(header, 0, 3);
        char chunkType = (char)header[3];
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        if (size < HeaderSize || size > receiveBufferSize)
            throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"a chunk of {size} bytes does not fit the receive buffer of {receiveBufferSize}");
        var body = new byte[size - HeaderSize];
        try { await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false); }
        catch (EndOfStreamException ex) { throw new OpcUaException(StatusCodes.BadConnectionClosed, "the server closed the connection mid-chunk", ex); }
        if (type == "ERR")
        {
            var d = new BinaryDecoder(body);
            var status = d.ReadStatusCode();
            var reason = d.Remaining > 0 ? d.ReadString() : null;
            throw new OpcUaException(status, $"the server sent ERR{(string.IsNullOrEmpty(reason) ? "" : $" '{reason}'")}");
        }
        if (type is not ("ACK" or "OPN" or "MSG" or "CLO") || chunkType is not ('F' or 'C' or 'A'))
            throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"'{type}{chunkType}' is not a UA TCP message type");
        return (type, chunkType, body);
    }
}
