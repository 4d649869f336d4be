using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.OpcUa.Transport;

namespace MqttIoT.OpcUa;

/// <summary>
/// A session over a secure channel: CreateSession with a 32-byte random nonce (and, on a secured channel, the
/// application certificate, checking the server's signature of it), then ActivateSession signed with the application
/// key and with the identity the endpoint's policies allow (OPC 10000-4 §5.6). While idle it reads the server
/// clock now and then, which keeps the session alive and finds a dead link; a broken link raises
/// <see cref="ConnectionLost"/> once, and the session is then finished: reconnecting means a new session.
/// </summary>
public sealed partial class OpcUaSession : IOpcUaSession
{
    private const int NonceLength = 32;
    private readonly OpcUaClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SecureChannel _channel;
    private readonly CancellationTokenSource _closing = new();
    private NodeId _authenticationToken = NodeId.Null;
    private ITimer? _keepAliveTimer;
    private Task _keepAlive = Task.CompletedTask;
    private long _lastActivityTicks;
    private int _requestHandle;
    private int _closed;
    private int _lost;

    private OpcUaSession(OpcUaClientOptions options, SecureChannel channel, ILogger logger, TimeProvider time)
    {
        _options = options;
        _channel = channel;
        _logger = logger;
        _time = time;
        _targetPublishRequests = options.PublishRequestCount;
        channel.Faulted = OnChannelFaulted;
    }

    /// <inheritdoc />
    public string EndpointUrl => _options.EndpointUrl;

    /// <inheritdoc />
    public NodeId SessionId { get; private set; } = NodeId.Null;

    /// <inheritdoc />
    public bool IsConnected => Volatile.Read(ref _closed) == 0 && Volatile.Read(ref _lost) == 0;

    /// <summary>The session timeout the server granted.</summary>
    public TimeSpan SessionTimeout { get; private set; }

    /// <summary>The endpoint the session was activated on.</summary>
    public EndpointDescription? Endpoint { get; private set; }

    /// <summary>What HEL/ACK settled for this connection.</summary>
    public TransportLimits Limits => _channel.Limits;

    /// <summary>The secure channel's token lifetime, as granted.</summary>
    public TimeSpan SecureChannelLifetime => _channel.TokenLifetime;

    /// <summary>The channel's SecurityPolicy.</summary>
    public Security.SecurityPolicy SecurityPolicy => _channel.Policy;

    /// <summary>The channel's message security mode.</summary>
    public MessageSecurityMode SecurityMode => _channel.Mode;

    /// <summary>How many times the secure channel token was renewed.</summary>
    public int SecureChannelRenewals => _channel.TokenRenewals;

    /// <inheritdoc />
    public event Action<OpcUaException>? ConnectionLost;

    /// <summary>Connects to the endpoint and returns an activated session.</summary>
    public static async Task<OpcUaSession> ConnectAsync(OpcUaClientOptions options, ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var logger = (ILogger?)loggerFactory?.CreateLogger<OpcUaSession>() ?? NullLogger.Instance;
        var time = timeProvider ?? TimeProvider.System;
        EndpointDescription? endpoint = null;
        Security.ChannelSecurity? security = null;
        if (!options.IsUnsecured)
            (endpoint, security) = await Security.EndpointDiscovery.PrepareAsync(options, logger, time, cancellationToken).ConfigureAwait(false);
        var channel = await SecureChannel.OpenAsync(options, security, logger, time, cancellationToken).ConfigureAwait(false);
        var session = new OpcUaSession(options, channel, logger, time);
        try
        {
            await session.CreateAndActivateAsync(endpoint, security, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        session.StartKeepAlive();
        session.LogActivated(session.SessionId.ToString(), options.EndpointUrl, options.Identity.ToString());
        return session;
    }

    private async Task CreateAndActivateAsync(EndpointDescription? chosen, Security.ChannelSecurity? security, CancellationToken cancellationToken)
    {
        var clientCertificate = security?.LocalCertificate.RawData;
        var clientNonce = RandomNumberGenerator.GetBytes(NonceLength);
        var (_, d) = await CallServiceAsync("CreateSession", EncodingIds.CreateSessionRequest, EncodingIds.CreateSessionResponse, e =>
        {
            e.WriteString(_options.ApplicationUri);
            e.WriteString("urn:mqttiot"); // ProductUri
            e.WriteLocalizedText(new LocalizedText(null, "MqttIoT OPC UA client"));
            e.WriteInt32(1); // ApplicationType: Client
            e.WriteString(null); // GatewayServerUri
            e.WriteString(null); // DiscoveryProfileUri
            e.WriteInt32(-1); // DiscoveryUrls
            e.WriteString(null); // ServerUri
            e.WriteString(_options.EndpointUrl);
            e.WriteString(_options.SessionName);
            e.WriteByteString(clientNonce);
            e.WriteByteString(clientCertificate); // none with SecurityPolicy None
            e.WriteDouble(_options.SessionTimeout.TotalMilliseconds);
            e.WriteUInt32((uint)_options.MaxMessageSize);
        }, cancellationToken).ConfigureAwait(false);
        SessionId = d.ReadNodeId();
        _authenticationToken = d.ReadNodeId();
        SessionTimeout = TimeSpan.FromMilliseconds(d.ReadDouble());
        var serverNonce = d.ReadByteString();
        var serverCertificate = d.ReadByteString();
        var endpoints = d.ReadList(() => EndpointDescription.Decode(d));
        d.ReadArray(() => { d.ReadByteString(); d.ReadByteString(); return 0; }); // ServerSoftwareCertificates (not used)
        d.ReadString(); // ServerSignature.Algorithm
        var serverSignature = d.ReadByteString();

        var policyUri = _channel.Policy.Uri;
        Endpoint = endpoints.FirstOrDefault(ep => ep.SecurityPolicyUri == policyUri && ep.Mode == _channel.Mode) ?? chosen
            ?? throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected,
                $"the server offers no {_channel.Policy.Name}/{_channel.Mode} endpoint among its {endpoints.Length} ({string.Join(", ", endpoints.Select(ep => ep.ToString()))})");
        byte[]? clientSignature = null;
        if (security is not null)
        {
            if (serverNonce is not { Length: >= NonceLength })
                throw new OpcUaException(StatusCodes.BadNonceInvalid, $"the server's session nonce has {serverNonce?.Length ?? 0} bytes, at least {NonceLength} are needed");
            if (serverCertificate is null || !Security.CertificateChecks.FirstCertificate(serverCertificate).AsSpan().SequenceEqual(security.RemoteCertificate.RawData))
                throw new OpcUaException(StatusCodes.BadCertificateInvalid, "CreateSession returned another server certificate than the endpoint's");
            using (var serverKey = security.RemoteCertificate.GetRSAPublicKey()!)
                if (serverSignature is null || !security.Policy.Verify(serverKey, [.. clientCertificate!, .. clientNonce], serverSignature))
                    throw new OpcUaException(StatusCodes.BadApplicationSignatureInvalid, "the server's signature of our certificate and nonce is wrong");
            using var key = security.LocalCertificate.GetRSAPrivateKey()!;
            clientSignature = security.Policy.Sign(key, [.. security.RemoteCertificate.RawData, .. serverNonce]);
        }

        var (_, a) = await CallServiceAsync("ActivateSession", EncodingIds.ActivateSessionRequest, EncodingIds.ActivateSessionResponse, e =>
        {
            e.WriteString(clientSignature is null ? null : security!.Policy.AsymmetricSignatureUri); // ClientSignature.Algorithm
            e.WriteByteString(clientSignature); // ClientSignature.Signature
            e.WriteInt32(0); // ClientSoftwareCertificates
            e.WriteInt32(0); // LocaleIds
            var userSignature = IdentityTokens.Write(e, _options.Identity, Endpoint, serverCertificate, serverNonce);
            e.WriteString(userSignature?.Algorithm); // UserTokenSignature.Algorithm
            e.WriteByteString(userSignature?.Signature); // UserTokenSignature.Signature
        }, cancellationToken).ConfigureAwait(false);
        a.ReadByteString(); // the next ServerNonce
        var results = a.ReadList(a.ReadStatusCode);
        if (results.FirstOrDefault(r => r.IsBad) is { Code: not 0 } bad) throw new OpcUaException(bad, "ActivateSession failed");
    }

    /// <inheritdoc />
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        StopKeepAlive();
        await _closing.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _lost) == 0)
        {
            try
            {
                await CallServiceAsync("CloseSession", EncodingIds.CloseSessionRequest, EncodingIds.CloseSessionResponse,
                    e => e.WriteBoolean(true), cancellationToken, allowClosed: true).ConfigureAwait(false);
            }
            catch (OpcUaException ex) { LogCloseFailed(ex.Message); }
        }
        await _channel.CloseAsync(cancellationToken).ConfigureAwait(false);
        await WaitPublishLoopsAsync().ConfigureAwait(false);
        try { await _keepAlive.ConfigureAwait(false); } catch (OpcUaException) { } catch (OperationCanceledException) { }
        foreach (var subscription in _subscriptions.Values) subscription.IsDeleted = true;
        _subscriptions.Clear();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(_options.OperationTimeout);
        await CloseAsync(timeout.Token).ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    /// <summary>
    /// Sends one service request and returns the response body after its header. A ServiceFault or a Bad service
    /// result throws, unless <paramref name="throwOnBadResult"/> is false (Publish handles its own).
    /// </summary>
    internal async Task<(ResponseHeader Header, BinaryDecoder Body)> CallServiceAsync(string service, uint requestType, uint responseType,
        Action<BinaryEncoder> writeBody, CancellationToken cancellationToken, TimeSpan? timeout = null, bool throwOnBadResult = true,
        bool allowClosed = false)
    {
        if (!allowClosed && Volatile.Read(ref _closed) != 0) throw new OpcUaException(StatusCodes.BadSessionClosed, $"{service}: the session is closed");
        if (Volatile.Read(ref _lost) != 0) throw new OpcUaException(StatusCodes.BadServerNotConnected, $"{service}: the connection to the server is lost");
        var limit = timeout ?? _options.OperationTimeout;
        var e = new BinaryEncoder();
        e.WriteNodeId(new NodeId(requestType));
        new RequestHeader(_authenticationToken, _time.GetUtcNow().UtcDateTime, unchecked((uint)Interlocked.Increment(ref _requestHandle)),
            (uint)Math.Min(limit.TotalMilliseconds, uint.MaxValue)).Encode(e);
        writeBody(e);
        (uint typeId, BinaryDecoder d) response;
        try
        {
            response = await _channel.RequestAsync(e.Written, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (OpcUaException ex)
        {
            throw new OpcUaException(ex.Status, service, ex);
        }
        Interlocked.Exchange(ref _lastActivityTicks, _time.GetTimestamp());
        var (typeId, body) = response;
        var header = ResponseHeader.Decode(body);
        if (typeId == EncodingIds.ServiceFault)
        {
            var status = header.ServiceResult.IsBad ? header.ServiceResult : new StatusCode(StatusCodes.BadUnknownResponse);
            if (throwOnBadResult) throw new OpcUaException(status, $"{service} failed");
            return (header with { ServiceResult = status }, body);
        }
        if (typeId != responseType) throw new OpcUaException(StatusCodes.BadUnknownResponse, $"{service} was answered with type {typeId}");
        if (throwOnBadResult && header.ServiceResult.IsBad) throw new OpcUaException(header.ServiceResult, $"{service} failed");
        return (header, body);
    }

    private void StartKeepAlive()
    {
        Interlocked.Exchange(ref _lastActivityTicks, _time.GetTimestamp());
        if (_options.KeepAliveInterval <= TimeSpan.Zero) return;
        _keepAliveTimer = _time.CreateTimer(_ =>
        {
            if (_keepAlive.IsCompleted) _keepAlive = KeepAliveAsync();
        }, null, _options.KeepAliveInterval, _options.KeepAliveInterval);
    }

    private void StopKeepAlive()
    {
        _keepAliveTimer?.Dispose();
        _keepAliveTimer = null;
    }

    private async Task KeepAliveAsync()
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastActivityTicks)) < _options.KeepAliveInterval * 0.9) return;
        try
        {
            await ReadAsync([new ReadValueId(WellKnownNodes.ServerCurrentTime)], 0, TimestampsToReturn.Neither, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        catch (OpcUaException ex) when (IsConnected)
        {
            // No answer, or the server forgot the session: either way this session cannot go on.
            if (ex.Status.Code is StatusCodes.BadTimeout or StatusCodes.BadSessionIdInvalid or StatusCodes.BadSessionClosed
                or StatusCodes.BadSecureChannelClosed or StatusCodes.BadConnectionClosed)
                OnChannelFaulted(ex);
            else LogKeepAliveFailed(ex.Message);
        }
        catch (OpcUaException) { }
    }

    private void OnChannelFaulted(OpcUaException reason)
    {
        if (Volatile.Read(ref _closed) != 0 || Interlocked.Exchange(ref _lost, 1) != 0) return;
        StopKeepAlive();
        LogConnectionLost(EndpointUrl, reason.Message);
        try { ConnectionLost?.Invoke(reason); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { LogHandlerFailed(ex.Message); }
    }

    [LoggerMessage(EventId = 2505, Level = LogLevel.Information, Message = "Session {SessionId} activated on {Endpoint} as {Identity}")]
    private partial void LogActivated(string sessionId, string endpoint, string identity);

    [LoggerMessage(EventId = 2506, Level = LogLevel.Warning, Message = "Connection to {Endpoint} lost: {Reason}")]
    private partial void LogConnectionLost(string endpoint, string reason);

    [LoggerMessage(EventId = 2507, Level = LogLevel.Debug, Message = "CloseSession failed: {Error}")]
    private partial void LogCloseFailed(string error);

    [LoggerMessage(EventId = 2508, Level = LogLevel.Warning, Message = "Session keep-alive read failed: {Error}")]
    private partial void LogKeepAliveFailed(string error);

    [LoggerMessage(EventId = 2509, Level = LogLevel.Warning, Message = "A session event handler threw: {Error}")]
    private partial void LogHandlerFailed(string error);
}
