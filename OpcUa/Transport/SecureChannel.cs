using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Security;
using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa.Transport;

/// <summary>
/// A secure channel over one UA TCP connection (OPC 10000-6 §6.7): OPN to open it and to renew its token at 75% of
/// the lifetime granted, MSG chunks both ways, CLO to close it. With SecurityPolicy None chunks travel as they are;
/// otherwise <see cref="ChannelSecurity"/> signs (and encrypts) each chunk on the way out and checks it on the way in,
/// and every renewal derives new keys from new nonces. Requests carry a request id
/// and responses are matched by it, so any number can be in flight; chunks of one request are never interleaved with
/// another's on the way out, and are reassembled per request id on the way in.
/// </summary>
/// <remarks>
/// Over 400 lines because the send path (chunking, OPN framing), the receive path (chunk checks, reassembly,
/// matching) and the token lifecycle (open, renew, close) share the channel id, token, sequence numbers and pending
/// requests; the cryptography is in <see cref="ChannelSecurity"/> and reassembly's buffer in <see cref="PartialMessage"/>.
/// </remarks>
internal sealed partial class SecureChannel : IAsyncDisposable
{
    public const string SecurityPolicyNone = "http://opcfoundation.org/UA/SecurityPolicy#None";
    /// <summary>MSG/CLO chunk: header (8), channel id (4), token id (4), sequence number (4), request id (4).</summary>
    internal const int SymmetricHeaderSize = 24;

    private readonly UaTcpConnection _connection;
    private readonly OpcUaClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ChannelSecurity? _security;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<byte[]>> _pending = new();
    private readonly Dictionary<uint, PartialMessage> _partial = [];
    private readonly CancellationTokenSource _receiving = new();
    private readonly Lock _timerLock = new();
    private Task _receiveLoop = Task.CompletedTask;
    private Task _renewal = Task.CompletedTask;
    private ITimer? _renewTimer;
    private int _requestId;
    private uint _sendSequence;
    private uint? _lastReceivedSequence;
    private volatile uint _tokenId;
    private int _closed;
    private int _faulted;
    private int _disposed;

    private SecureChannel(UaTcpConnection connection, OpcUaClientOptions options, ChannelSecurity? security, ILogger logger, TimeProvider time)
    {
        _connection = connection;
        _security = security;
        _options = options;
        _logger = logger;
        _time = time;
    }

    /// <summary>The channel id the server gave.</summary>
    public uint ChannelId { get; private set; }

    /// <summary>The current token's id.</summary>
    public uint TokenId => _tokenId;

    /// <summary>The lifetime the server granted the current token.</summary>
    public TimeSpan TokenLifetime { get; private set; }

    /// <summary>How many times the token was renewed.</summary>
    public int TokenRenewals { get; private set; }

    /// <summary>What HEL/ACK settled.</summary>
    public TransportLimits Limits => _connection.Limits;

    /// <summary>Called once when the channel breaks (not when it is closed on purpose).</summary>
    public Action<OpcUaException>? Faulted { get; set; }

    /// <summary>The policy of the channel.</summary>
    public SecurityPolicy Policy => _security?.Policy ?? SecurityPolicy.None;

    /// <summary>The message security mode of the channel.</summary>
    public MessageSecurityMode Mode => _security?.Mode ?? MessageSecurityMode.None;

    /// <summary>
    /// Connects, says hello and opens the channel, with <paramref name="security"/> (which the channel then owns) or
    /// SecurityPolicy None when null.
    /// </summary>
    public static async Task<SecureChannel> OpenAsync(OpcUaClientOptions options, ChannelSecurity? security, ILogger logger, TimeProvider time,
        CancellationToken cancellationToken)
    {
        UaTcpConnection connection;
        try { connection = await UaTcpConnection.ConnectAsync(options, cancellationToken).ConfigureAwait(false); }
        catch
        {
            security?.Dispose();
            throw;
        }
        var channel = new SecureChannel(connection, options, security, logger, time);
        channel._receiveLoop = Task.Run(() => channel.ReceiveLoopAsync(channel._receiving.Token), CancellationToken.None);
        try
        {
            await channel.OpenOrRenewAsync(renew: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        channel.LogOpened(options.EndpointUrl, channel.ChannelId, channel.TokenLifetime.TotalSeconds, connection.Limits.SendChunkSize, connection.Limits.ReceiveChunkSize);
        return channel;
    }

    /// <summary>
    /// Sends a service request (the body starts with the request's encoding id) and returns the response body,
    /// positioned after the response's encoding id, which is returned with it.
    /// </summary>
    public async Task<(uint TypeId, BinaryDecoder Body)> RequestAsync(ReadOnlyMemory<byte> body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var response = await ExchangeAsync("MSG", body, timeout, cancellationToken).ConfigureAwait(false);
        return ReadTypeId(response);
    }

    /// <summary>Sends CLO and closes the connection. Requests still waiting fail with BadSecureChannelClosed.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        StopRenewTimer();
        if (Volatile.Read(ref _faulted) == 0)
        {
            try
            {
                var body = new BinaryEncoder();
                body.WriteNodeId(new NodeId(EncodingIds.CloseSecureChannelRequest));
                new RequestHeader(NodeId.Null, _time.GetUtcNow().UtcDateTime, 0, 0).Encode(body);
                await SendAsync("CLO", NextRequestId(), body.Written, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OpcUaException or ObjectDisposedException or OperationCanceledException)
            {
                LogCloseFailed(ex.Message);
            }
        }
        await ShutdownAsync(new OpcUaException(StatusCodes.BadSecureChannelClosed, "the channel was closed")).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Interlocked.Exchange(ref _closed, 1);
        StopRenewTimer();
        await ShutdownAsync(new OpcUaException(StatusCodes.BadSecureChannelClosed, "the channel was disposed")).ConfigureAwait(false);
        // RenewAsync keeps its own failures (it faults the channel or logs); this only waits for it to end.
        try { await _renewal.ConfigureAwait(false); } catch (OpcUaException) { } catch (OperationCanceledException) { }
        _receiving.Dispose();
        _sendLock.Dispose();
        _security?.Dispose();
    }

    private async Task ShutdownAsync(OpcUaException reason)
    {
        await _receiving.CancelAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        try { await _receiveLoop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        FailPending(reason);
    }

    private async Task OpenOrRenewAsync(bool renew, CancellationToken cancellationToken)
    {
        var body = new BinaryEncoder();
        body.WriteNodeId(new NodeId(EncodingIds.OpenSecureChannelRequest));
        new RequestHeader(NodeId.Null, _time.GetUtcNow().UtcDateTime, 0, (uint)_options.OperationTimeout.TotalMilliseconds).Encode(body);
        body.WriteUInt32(0); // ClientProtocolVersion
        body.WriteInt32(renew ? 1 : 0); // RequestType: Issue or Renew
        body.WriteInt32((int)Mode);
        var clientNonce = _security?.NewNonce() ?? [];
        body.WriteByteString(clientNonce); // empty with SecurityPolicy None
        body.WriteUInt32((uint)Math.Min(_options.SecureChannelLifetime.TotalMilliseconds, uint.MaxValue));

        var (typeId, d) = ReadTypeId(await ExchangeAsync("OPN", body.Written, _options.OperationTimeout, cancellationToken).ConfigureAwait(false));
        var header = ResponseHeader.Decode(d);
        if (typeId == EncodingIds.ServiceFault || header.ServiceResult.IsBad)
            throw new OpcUaException(header.ServiceResult, renew ? "renewing the secure channel token failed" : "opening the secure channel failed");
        if (typeId != EncodingIds.OpenSecureChannelResponse)
            throw new OpcUaException(StatusCodes.BadUnknownResponse, $"OpenSecureChannel was answered with type {typeId}");
        d.ReadUInt32(); // ServerProtocolVersion
        uint channelId = d.ReadUInt32();
        uint tokenId = d.ReadUInt32();
        d.ReadDateTime(); // CreatedAt: the server's clock; the lifetime is counted on ours
        uint lifetimeMs = d.ReadUInt32();
        var serverNonce = d.ReadByteString() ?? [];
        if (renew && channelId != ChannelId)
            throw new OpcUaException(StatusCodes.BadSecureChannelIdInvalid, $"the renewed token is for channel {channelId}, not {ChannelId}");
        ChannelId = channelId;
        // From now on we send with the new token (and its keys); the server accepts the old one until it expires.
        _security?.InstallToken(tokenId, clientNonce, serverNonce);
        _tokenId = tokenId;
        TokenLifetime = TimeSpan.FromMilliseconds(Math.Max(lifetimeMs, 1000));
        if (renew) TokenRenewals++;
        ScheduleRenewal(TokenLifetime * 0.75);
    }

    private void ScheduleRenewal(TimeSpan due)
    {
        lock (_timerLock)
        {
            if (Volatile.Read(ref _closed) != 0) return;
            _renewTimer?.Dispose();
            _renewTimer = _time.CreateTimer(_ => _renewal = RenewAsync(), null, due, Timeout.InfiniteTimeSpan);
        }
    }

    private void StopRenewTimer()
    {
        lock (_timerLock)
        {
            _renewTimer?.Dispose();
            _renewTimer = null;
        }
    }

    private async Task RenewAsync()
    {
        try
        {
            await OpenOrRenewAsync(renew: true, _receiving.Token).ConfigureAwait(false);
            LogRenewed(ChannelId, TokenId, TokenLifetime.TotalSeconds);
        }
        catch (Exception ex) when (Volatile.Read(ref _closed) == 0)
        {
            // A channel whose token cannot be renewed dies when the token expires: say so now.
            Fault(ex as OpcUaException ?? new OpcUaException(StatusCodes.BadSecureChannelClosed, "renewing the secure channel token failed", ex));
        }
        catch (Exception ex)
        {
            // Closed or disposed while renewing: the renewal's failure is the close itself, and nobody waits for it.
            LogRenewEndedByClose(ex.Message);
        }
    }

    private async Task<byte[]> ExchangeAsync(string messageType, ReadOnlyMemory<byte> body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) != 0 || Volatile.Read(ref _faulted) != 0)
            throw new OpcUaException(StatusCodes.BadSecureChannelClosed, "the secure channel is closed");
        uint requestId = NextRequestId();
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = tcs;
        try
        {
            await SendAsync(messageType, requestId, body, cancellationToken).ConfigureAwait(false);
            return await tcs.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new OpcUaException(StatusCodes.BadTimeout, $"no response within {timeout.TotalSeconds:0.###} s");
        }
        catch (IOException ex)
        {
            throw new OpcUaException(StatusCodes.BadConnectionClosed, "the connection broke while sending", ex);
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    private uint NextRequestId() => unchecked((uint)Interlocked.Increment(ref _requestId));

    /// <summary>Splits the body into chunks that fit the server's receive buffer and sends them back to back.</summary>
    private async Task SendAsync(string messageType, uint requestId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var limits = _connection.Limits;
        if (limits.RemoteMaxMessageSize > 0 && body.Length > limits.RemoteMaxMessageSize)
            throw new OpcUaException(StatusCodes.BadRequestTooLarge, $"the request is {body.Length} bytes, the server takes at most {limits.RemoteMaxMessageSize}");
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (messageType == "OPN")
            {
                await _connection.WriteAsync(BuildOpenChunk(requestId, body.Span), cancellationToken).ConfigureAwait(false);
                return;
            }
            int perChunk = _security?.MaxBodyPerChunk(limits.SendChunkSize) ?? limits.SendChunkSize - SymmetricHeaderSize;
            var chunks = BuildChunks(messageType, ChannelId, _tokenId, NextSendSequence, requestId, body.Span, perChunk, limits.RemoteMaxChunkCount);
            foreach (var chunk in chunks)
                await _connection.WriteAsync(_security is null ? chunk : _security.ProtectSymmetric(chunk), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// The chunks of one MSG or CLO message, unprotected, with at most <paramref name="perChunk"/> body bytes each: all
    /// 'C' but the last, 'F'. Each carries its own sequence number.
    /// </summary>
    internal static List<byte[]> BuildChunks(string messageType, uint channelId, uint tokenId, Func<uint> nextSequence, uint requestId,
        ReadOnlySpan<byte> body, int perChunk, int maxChunkCount)
    {
        int count = Math.Max(1, (body.Length + perChunk - 1) / perChunk);
        if (maxChunkCount > 0 && count > maxChunkCount)
            throw new OpcUaException(StatusCodes.BadRequestTooLarge, $"the request needs {count} chunks, the server takes at most {maxChunkCount}");
        var chunks = new List<byte[]>(count);
        var type = Encoding.ASCII.GetBytes(messageType);
        for (int i = 0; i < count; i++)
        {
            var piece = body.Slice(i * perChunk, Math.Min(perChunk, body.Length - i * perChunk));
            var chunk = new byte[SymmetricHeaderSize + piece.Length];
            type.CopyTo(chunk, 0);
            chunk[3] = (byte)(i == count - 1 ? 'F' : 'C');
            BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), (uint)chunk.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(8), channelId);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(12), tokenId);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(16), nextSequence());
            BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(20), requestId);
            piece.CopyTo(chunk.AsSpan(SymmetricHeaderSize));
            chunks.Add(chunk);
        }
        return chunks;
    }

    private byte[] BuildOpenChunk(uint requestId, ReadOnlySpan<byte> body)
    {
        var e = new BinaryEncoder(body.Length + 128);
        e.WriteRaw("OPNF"u8);
        e.WriteUInt32(0);
        e.WriteUInt32(ChannelId);
        if (_security is null)
        {
            e.WriteString(SecurityPolicyNone);
            e.WriteByteString(null); // SenderCertificate
            e.WriteByteString(null); // ReceiverCertificateThumbprint
        }
        else _security.WriteAsymmetricHeader(e);
        int prefix = e.Length;
        e.WriteUInt32(NextSendSequence());
        e.WriteUInt32(requestId);
        e.WriteRaw(body);
        var chunk = e.ToArray();
        if (_security is not null) return _security.ProtectAsymmetric(chunk, prefix);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), (uint)chunk.Length);
        return chunk;
    }

    private uint NextSendSequence()
    {
        // OPC 10000-6 §6.7.2.4: below 1024 at the start, and it wraps before UInt32.MaxValue - 1024.
        _sendSequence = _sendSequence >= uint.MaxValue - 1024 ? 1 : _sendSequence + 1;
        return _sendSequence;
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var (type, chunkType, body) = await _connection.ReadChunkAsync(cancellationToken).ConfigureAwait(false);
                OnChunk(type, chunkType, body);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        catch (Exception ex) when (Volatile.Read(ref _closed) == 0)
        {
            Fault(ex switch
            {
                OpcUaException ua => ua,
                IOException or ObjectDisposedException => new OpcUaException(StatusCodes.BadConnectionClosed, "the connection to the server broke", ex),
                _ => new OpcUaException(StatusCodes.BadInternalError, "receiving failed", ex),
            });
        }
        catch (Exception ex)
        {
            // Closed on purpose: the read that fails is the one the close cut off, so there is nothing to report
            // beyond a debug line; the pending requests fail with BadSecureChannelClosed in ShutdownAsync.
            LogReceiveEndedByClose(ex.Message);
        }
    }

    /// <summary>
    /// One received chunk: checks its security (signature, decryption, padding), its channel and sequence, then adds
    /// it to its message or completes the message.
    /// </summary>
    internal void OnChunk(string type, char chunkType, byte[] body)
    {
        var d = new BinaryDecoder(body);
        uint channelId = d.ReadUInt32();
        if (type == "OPN")
        {
            var policy = d.ReadString();
            var sender = d.ReadByteString();
            var receiver = d.ReadByteString();
            if (_security is not null)
            {
                if (policy != _security.Policy.Uri)
                    throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"the server answered OpenSecureChannel with policy {policy}, not {_security.Policy.Uri}");
                if (sender is null || !CertificateChecks.FirstCertificate(sender).AsSpan().SequenceEqual(_security.RemoteCertificate.RawData))
                    throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the OpenSecureChannel response is signed by another certificate than the endpoint's");
                if (receiver is null || !receiver.AsSpan().SequenceEqual(System.Security.Cryptography.SHA1.HashData(_security.LocalCertificate.RawData)))
                    throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the OpenSecureChannel response is encrypted for another certificate than ours");
                int headerEnd = d.Position;
                body = _security.UnprotectAsymmetric(ChunkHeader(type, chunkType, body.Length), body, headerEnd);
                d = new BinaryDecoder(body);
                d.Position = headerEnd;
            }
        }
        else
        {
            if (_security is not null)
            {
                body = _security.UnprotectSymmetric(ChunkHeader(type, chunkType, body.Length), body);
                d = new BinaryDecoder(body);
                d.ReadUInt32(); // channel id, read above
            }
            if (channelId != ChannelId)
                throw new OpcUaException(StatusCodes.BadTcpSecureChannelUnknown, $"a chunk for channel {channelId} arrived on channel {ChannelId}");
            d.ReadUInt32(); // TokenId: any token the server still honours
        }
        uint sequence = d.ReadUInt32();
        uint requestId = d.ReadUInt32();
        CheckSequence(sequence);
        var payload = body.AsMemory(d.Position);

        switch (chunkType)
        {
            case 'A':
            {
                _partial.Remove(requestId);
                var abort = new BinaryDecoder(payload);
                var status = abort.ReadStatusCode();
                var reason = abort.Remaining > 0 ? abort.ReadString() : null;
                Complete(requestId, error: new OpcUaException(status, $"the server aborted the response{(string.IsNullOrEmpty(reason) ? "" : $" ('{reason}')")}"));
                break;
            }
            case 'C':
            {
                if (!_partial.TryGetValue(requestId, out var partial)) _partial[requestId] = partial = new PartialMessage();
                if (partial.Discarded) break;
                partial.Add(payload);
                if (_options.MaxChunkCount > 0 && partial.Chunks > _options.MaxChunkCount
                    || _options.MaxMessageSize > 0 && partial.Length > _options.MaxMessageSize)
                {
                    // The rest of its chunks still arrive; they are counted and dropped.
                    partial.Discard();
                    Complete(requestId, error: new OpcUaException(StatusCodes.BadResponseTooLarge,
                        $"the response passed {_options.MaxChunkCount} chunks or {_options.MaxMessageSize} bytes"));
                }
                break;
            }
            default:
            {
                if (_partial.Remove(requestId, out var partial))
                {
                    if (partial.Discarded) break;
                    partial.Add(payload);
                    Complete(requestId, partial.ToArray());
                }
                else Complete(requestId, payload.ToArray());
                break;
            }
        }
    }

    /// <summary>The 8-byte message header the chunk arrived with, which its signature covers.</summary>
    private static byte[] ChunkHeader(string type, char chunkType, int bodyLength)
    {
        var header = new byte[UaTcpConnection.HeaderSize];
        Encoding.ASCII.GetBytes(type, header);
        header[3] = (byte)chunkType;
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)(bodyLength + UaTcpConnection.HeaderSize));
        return header;
    }

    private void CheckSequence(uint sequence)
    {
        if (_lastReceivedSequence is { } last)
        {
            bool next = sequence == last + 1 || (last >= uint.MaxValue - 1024 && sequence < 1024);
            if (!next) throw new OpcUaException(StatusCodes.BadSequenceNumberInvalid, $"sequence number {sequence} follows {last}");
        }
        _lastReceivedSequence = sequence;
    }

    private void Complete(uint requestId, byte[]? body = null, OpcUaException? error = null)
    {
        if (!_pending.TryRemove(requestId, out var tcs))
        {
            LogUnmatchedResponse(requestId);
            return;
        }
        if (error is not null) tcs.TrySetException(error); else tcs.TrySetResult(body!);
    }

    private void Fault(OpcUaException reason)
    {
        if (Interlocked.Exchange(ref _faulted, 1) != 0) return;
        StopRenewTimer();
        LogFaulted(ChannelId, reason.Message);
        FailPending(reason);
        Faulted?.Invoke(reason);
    }

    private void FailPending(OpcUaException reason)
    {
        foreach (var id in _pending.Keys)
            if (_pending.TryRemove(id, out var tcs)) tcs.TrySetException(reason);
    }

    private static (uint TypeId, BinaryDecoder Body) ReadTypeId(byte[] message)
    {
        var d = new BinaryDecoder(message);
        var typeId = d.ReadNodeId();
        if (typeId.NamespaceIndex != 0 || typeId.IdType != NodeIdType.Numeric)
            throw new OpcUaException(StatusCodes.BadUnknownResponse, $"a response of type {typeId}");
        return ((uint)typeId.Identifier, d);
    }

    [LoggerMessage(EventId = 2510, Level = LogLevel.Information, Message = "Secure channel {ChannelId} open to {Endpoint} (token lifetime {LifetimeSeconds} s, chunks {SendChunk} out / {ReceiveChunk} in)")]
    private partial void LogOpened(string endpoint, uint channelId, double lifetimeSeconds, int sendChunk, int receiveChunk);

    [LoggerMessage(EventId = 2511, Level = LogLevel.Debug, Message = "Secure channel {ChannelId} renewed: token {TokenId}, lifetime {LifetimeSeconds} s")]
    private partial void LogRenewed(uint channelId, uint tokenId, double lifetimeSeconds);

    [LoggerMessage(EventId = 2512, Level = LogLevel.Warning, Message = "Secure channel {ChannelId} broke: {Reason}")]
    private partial void LogFaulted(uint channelId, string reason);

    [LoggerMessage(EventId = 2513, Level = LogLevel.Debug, Message = "A response for request {RequestId} came after its caller stopped waiting")]
    private partial void LogUnmatchedResponse(uint requestId);

    [LoggerMessage(EventId = 2515, Level = LogLevel.Debug, Message = "Token renewal ended by the channel's close: {Error}")]
    private partial void LogRenewEndedByClose(string error);

    [LoggerMessage(EventId = 2516, Level = LogLevel.Debug, Message = "Receiving ended by the channel's close: {Error}")]
    private partial void LogReceiveEndedByClose(string error);

    [LoggerMessage(EventId = 2514, Level = LogLevel.Debug, Message = "Sending CLO failed: {Error}")]
    private partial void LogCloseFailed(string error);
}
