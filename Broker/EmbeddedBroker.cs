using Microsoft.Extensions.Logging;
using MQTTnet.Packets;
using MQTTnet.Server;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace MqttIoT.Broker;

/// <summary>
/// The embedded MQTT v5 broker: MQTTnet's server, listening on exactly the addresses of <see cref="BrokerOptions.BindAddresses"/>, with retained messages and
/// persistent sessions (<see cref="SessionStore"/>) kept across restarts in <see cref="BrokerOptions.DataDirectory"/>, and MQTT v5 shared subscriptions, which MQTTnet
/// itself refuses (<see cref="SharedSubscriptions"/>).
/// </summary>
public sealed partial class EmbeddedBroker : IAsyncDisposable
{
    private readonly BrokerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RetainedStore? _store;
    private readonly SessionStore? _sessions;
    private readonly Mqtt5ServerAdapter _adapter;
    private readonly MqttServer _server;
    private readonly SessionSupervisor _supervisor;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _flusher;
    private readonly Auth.BrokerAccessControl _access;
    private long _dropped;

    /// <summary>Creates the broker; it listens once <see cref="StartAsync"/> returns.</summary>
    public EmbeddedBroker(BrokerOptions options, ILogger<EmbeddedBroker> logger, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        if (options.DataDirectory is { } dir)
        {
            _store = new RetainedStore(dir);
            if (options.PersistSessions) _sessions = new SessionStore(dir, logger, _time);
        }

        var serverOptions = new MqttServerOptionsBuilder()
            .WithMaxPendingMessagesPerClient(options.MaxPendingMessagesPerClient)
            // MQTT v5 sessions outlive the connection for their Session Expiry Interval (3.1.2.11.2); MQTTnet's
            // default drops every session at disconnect.
            .WithPersistentSessions(true)
            .Build();
        // MQTTnet's own warnings and errors (a failed handshake, a dropped session) belong in our log.
        var mqttLog = new MQTTnet.Diagnostics.Logger.MqttNetEventLogger("broker");
        mqttLog.LogMessagePublished += (_, e) =>
        {
            if (e.LogMessage.Level >= MQTTnet.Diagnostics.Logger.MqttNetLogLevel.Warning)
                LogMqttNet(e.LogMessage.Level.ToString(), e.LogMessage.Source, e.LogMessage.Message, e.LogMessage.Exception);
        };
        // The MQTT v5 behaviours MQTTnet lacks are added around it: see README.md.
        _supervisor = new SessionSupervisor(logger, _time) { Store = _sessions };
        _adapter = new Mqtt5ServerAdapter(_supervisor, options, Listeners(options, mqttLog, logger));
        _server = new MqttServerFactory().CreateMqttServer(serverOptions, [_adapter], mqttLog);
        _supervisor.Attach(_server);
        _access = new Auth.BrokerAccessControl(
            options.PasswordFile is { } passwd ? Auth.PasswordFile.Load(passwd) : null,
            options.AclFile is { } acl ? Auth.AclFile.Load(acl) : null,
            options.AllowAnonymous, logger);
        _access.Attach(_server);
        _server.ValidatingConnectionAsync += OnValidatingConnectionAsync;
        _server.InterceptingPublishAsync += OnInterceptingPublishAsync;
        // MQTTnet drops the oldest queued message of a client whose queue is full, silently; say so instead.
        _server.QueuedApplicationMessageOverwrittenAsync += OnQueueOverflowAsync;
        if (_store is not null)
        {
            _server.LoadingRetainedMessageAsync += OnLoadingRetainedAsync;
            _server.RetainedMessageChangedAsync += OnRetainedChangedAsync;
            _server.RetainedMessagesClearedAsync += OnRetainedClearedAsync;
        }
        _server.InterceptingClientEnqueueAsync += OnClientEnqueueAsync;
        if (_sessions is { } sessions)
        {
            _server.ClientAcknowledgedPublishPacketAsync += e =>
            {
                if (e.AcknowledgePacket is MqttPubAckPacket or MqttPubCompPacket) sessions.Done(e.ClientId, e.PublishPacket);
                return Task.CompletedTask;
            };
            // A message MQTTnet drops from a full queue stays in its unacknowledged list and goes out again when the
            // client resumes (MqttSession.Recover), so it stays stored too: only the session's end removes it.
            _server.SessionDeletedAsync += e =>
            {
                sessions.Deleted(e.Id);
                return Task.CompletedTask;
            };
        }
    }

    /// <summary>
    /// The one handler of MQTTnet's InterceptingClientEnqueueAsync (a message is about to be queued for one receiver),
    /// its stages in order; the first that refuses ends it. The order is what makes it right:
    /// <list type="number">
    /// <item>An UNSUBSCRIBE read and not yet applied by MQTTnet first (<see cref="UnsubscribeBarrier"/>): a message
    /// the receiver gets only through filters it is leaving is not for it, whoever else would pick it.</item>
    /// <item>Then shared subscriptions: the group's member is picked once per message, among the sessions MQTTnet
    /// offers it to, and every other member refused.</item>
    /// <item>Then the ACL: a receiver that may not read the topic does not get it.</item>
    /// <item>The session store last: it keeps a message only once every other stage has let it through, or a restart
    /// would deliver what was never queued.</item>
    /// </list>
    /// </summary>
    private Task OnClientEnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs e)
    {
        if (!e.AcceptEnqueue) return Task.CompletedTask;
        var receiver = e.ReceiverClientId;
        var message = e.ApplicationMessage;
        if (_supervisor.Unsubscribes.OnlyThroughLeavingFilters(receiver, message.Topic)
            || !_supervisor.IsPickedReceiver(receiver, message) || !_access.MayRead(receiver, message.Topic))
        {
            e.AcceptEnqueue = false;
            return Task.CompletedTask;
        }
        _sessions?.Enqueueing(receiver, message);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The broker's listening sockets: one per address of <see cref="BrokerOptions.BindAddresses"/> on the plain port,
    /// and as many on the TLS port if there is one, and no other.
    /// </summary>
    private static List<TcpListener> Listeners(BrokerOptions options, MQTTnet.Diagnostics.Logger.IMqttNetLogger mqttLogger, ILogger logger)
    {
        var connections = new ConnectionCount(options.MaxConnections);
        var addresses = options.BindAddresses.Distinct().ToList();
        var listeners = addresses.Select(a => new TcpListener(new IPEndPoint(a, options.Port), null, null, false, options, connections, mqttLogger, logger)).ToList();
        if (options.TlsPort is not { } tlsPort) return listeners;
        using var pem = X509Certificate2.CreateFromPemFile(options.TlsCertificateFile!, options.TlsKeyFile!);
        // SslStream wants the key in a form it can use on every platform: round-trip through PKCS#12.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        System.Net.Security.RemoteCertificateValidationCallback? validate = null;
        if (options.TlsClientCaFile is { } clientCa)
        {
            var authority = X509CertificateLoader.LoadCertificateFromFile(clientCa);
            validate = (_, presented, _, _) => ClientCertificates.IsIssuedBy(presented, authority);
        }
        listeners.AddRange(addresses.Select(a => new TcpListener(new IPEndPoint(a, tlsPort), certificate, validate, validate is not null,
            options, connections, mqttLogger, logger)));
        return listeners;
    }

    /// <summary>The port clients connect to.</summary>
    public int Port => _options.Port;

    /// <summary>The underlying MQTTnet server, for inspection.</summary>
    public MqttServer Server => _server;

    /// <summary>Persistent sessions held in <see cref="BrokerOptions.DataDirectory"/> (0 without one).</summary>
    public int StoredSessions => _sessions?.Count ?? 0;

    /// <summary>QoS 1/2 messages held for persistent sessions that their receivers have not acknowledged yet.</summary>
    public int StoredUnacknowledgedMessages => _sessions?.PendingMessages ?? 0;

    /// <summary>Messages dropped because a client's queue held <see cref="BrokerOptions.MaxPendingMessagesPerClient"/> already.</summary>
    public long DroppedMessages => Interlocked.Read(ref _dropped);

    /// <summary>Restores the stored sessions, then starts listening.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _server.StartAsync().ConfigureAwait(false);
        await RestoreSessionsAsync(cancellationToken).ConfigureAwait(false);
        await _adapter.ListenAsync().ConfigureAwait(false);
        if (_store is not null) _flusher = Task.Run(() => FlushLoopAsync(_stopping.Token), CancellationToken.None);
        LogStarted(string.Join(", ", _options.BindAddresses.Select(a => new IPEndPoint(a, _options.Port))), _store?.FilePath ?? "(memory)");
    }

    /// <summary>Stops listening (clients are disconnected) and writes retained messages out.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_stopping.IsCancellationRequested) await _stopping.CancelAsync().ConfigureAwait(false);
        if (_flusher is not null)
        {
            try { await _flusher.WaitAsync(cancellationToken).ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        // MQTTnet keeps persistent sessions while it closes the connections; the log records them going offline.
        if (_server.IsStarted) await _server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false);
        _sessions?.Close();
        _store?.Flush();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _server.Dispose();
        _supervisor.Dispose();
        _sessions?.Dispose();
        _stopping.Dispose();
    }

    private async Task FlushLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                FlushSafely();
        }
        catch (OperationCanceledException) { }
    }

    private void FlushSafely()
    {
        try { _store!.Flush(); }
        catch (IOException ex) { LogFlushFailed(ex.Message); }
        catch (UnauthorizedAccessException ex) { LogFlushFailed(ex.Message); }
    }

    /// <summary>
    /// Re-creates each stored session through MQTTnet (<see cref="RestoreChannel"/>) and queues its unacknowledged
    /// messages again, before the listener opens: a client that reconnects finds its session, and what is published
    /// from the first moment reaches subscribers that have not reconnected yet.
    /// </summary>
    private async Task RestoreSessionsAsync(CancellationToken cancellationToken)
    {
        if (_sessions is null) return;
        var stored = _sessions.Load();
        int restored = 0, messages = 0;
        foreach (var session in stored)
        {
            var pending = session.Pending.Select(p => p.Message).ToList();
            using var channel = new RestoreChannel(session);
            try
            {
                var connection = _adapter.HandleInProcessAsync(channel);
                var problem = await channel.Outcome.WaitAsync(RestoreTimeout, _time, cancellationToken).ConfigureAwait(false);
                await connection.WaitAsync(RestoreTimeout, _time, cancellationToken).ConfigureAwait(false);
                if (problem is not null) LogRestoreProblem(session.Id, problem);
                var status = await _server.GetSessionAsync(session.Id).ConfigureAwait(false);
                foreach (var message in pending)
                    if (status.TryEnqueueApplicationMessage(message, out _)) messages++;
                restored++;
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                LogRestoreProblem(session.Id, ex.Message);
            }
        }
        if (stored.Count > 0) LogRestored(restored, messages);
    }

    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromSeconds(10);

    private Task OnValidatingConnectionAsync(ValidatingConnectionEventArgs e)
    {
        // The broker's own connection re-creating a stored session: its user had signed in when the session began.
        if (e.ChannelAdapter is Mqtt5ChannelAdapter { IsInProcess: true }) return Task.CompletedTask;
        if (!_access.Validate(e)) return Task.CompletedTask;
        // MQTT v5 3.1.3.1: a v5 client may send an empty client id and the server assigns one (mosquitto_sub does).
        // MQTT 3.1.1 allows it only with a clean session.
        if (string.IsNullOrEmpty(e.ClientId)
            && (e.ProtocolVersion == MQTTnet.Formatter.MqttProtocolVersion.V500 || e.CleanSession == true))
        {
            e.AssignedClientIdentifier = "auto-" + Guid.NewGuid().ToString("N");
            e.ReasonCode = MQTTnet.Protocol.MqttConnectReasonCode.Success;
        }
        return Task.CompletedTask;
    }

    private Task OnInterceptingPublishAsync(InterceptingPublishEventArgs e)
    {
        MessageExpiry.Stamp(e.ApplicationMessage, _time);
        return Task.CompletedTask;
    }

    private Task OnQueueOverflowAsync(QueueMessageOverwrittenEventArgs e)
    {
        var dropped = Interlocked.Increment(ref _dropped);
        if (dropped % 10_000 == 1) LogDropped(e.ReceiverClientId, _options.MaxPendingMessagesPerClient, dropped);
        return Task.CompletedTask;
    }

    private Task OnLoadingRetainedAsync(LoadingRetainedMessagesEventArgs e)
    {
        try
        {
            e.LoadedRetainedMessages = _store!.Load();
            LogLoaded(e.LoadedRetainedMessages.Count);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or EndOfStreamException)
        {
            // A damaged file must not keep the broker down; publishers restore their retained state on reconnect.
            LogLoadFailed(ex.Message);
            e.LoadedRetainedMessages = [];
        }
        return Task.CompletedTask;
    }

    private Task OnRetainedChangedAsync(RetainedMessageChangedEventArgs e)
    {
        _store!.Apply(e.ChangedRetainedMessage);
        return Task.CompletedTask;
    }

    private Task OnRetainedClearedAsync(EventArgs e)
    {
        _store!.Clear();
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "MQTTnet {Level} in {Source}: {Message}")]
    private partial void LogMqttNet(string level, string source, string message, Exception? exception);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Broker listening on {Endpoints}, retained messages in {Store}")]
    private partial void LogStarted(string endpoints, string store);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Client {ClientId} has {Max} messages queued: dropping its oldest ({Dropped} dropped so far)")]
    private partial void LogDropped(string clientId, int max, long dropped);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Restored {Sessions} persistent sessions with {Messages} unacknowledged messages")]
    private partial void LogRestored(int sessions, int messages);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Session '{ClientId}' was not fully restored: {Problem}")]
    private partial void LogRestoreProblem(string clientId, string problem);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Loaded {Count} retained messages")]
    private partial void LogLoaded(int count);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "Could not load retained messages, starting empty: {Error}")]
    private partial void LogLoadFailed(string error);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Error, Message = "Could not write retained messages: {Error}")]
    private partial void LogFlushFailed(string error);
}
