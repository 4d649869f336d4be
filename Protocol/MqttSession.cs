using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Protocol;

/// <summary>
/// One MQTT v5 connection that stays up: it reconnects with capped exponential backoff after the broker goes away,
/// subscribes again to everything it held, and then tells its owner (who republishes its state).
/// MQTTnet 5 has no managed client; this is the small one the gateway, the hub and the Sdk share.
/// </summary>
public sealed partial class MqttSession : IAsyncDisposable
{
    private readonly MqttSessionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IMqttClient _client;
    // Each filter has its own subscription identifier (MQTT v5 3.8.2.1.2): a broker that delivers one copy per
    // overlapping subscription (Mosquitto) tags each copy, so the owner can route a copy to exactly one filter.
    private readonly Dictionary<string, uint> _filters = new(StringComparer.Ordinal);
    private uint _lastSubscriptionId;
    private readonly Lock _filtersLock = new();
    private readonly SemaphoreSlim _disconnected = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _supervisor;
    private int _disposed;

    /// <summary>Creates a session; nothing connects until <see cref="StartAsync"/>.</summary>
    public MqttSession(MqttSessionOptions options, ILogger logger, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        ClientId = string.IsNullOrEmpty(options.ClientId) ? "mqttiot-" + Guid.NewGuid().ToString("N")[..12] : options.ClientId;
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    /// <summary>The MQTT client id in use.</summary>
    public string ClientId { get; }

    /// <summary>Whether the connection is up now.</summary>
    public bool IsConnected => _client.IsConnected;

    /// <summary>
    /// Called for every message, inside the MQTT receive loop: hand it on (to a channel, a completion source)
    /// and return; awaiting here applies backpressure to the broker.
    /// </summary>
    public Func<ReceivedMessage, ValueTask>? MessageReceived { get; set; }

    /// <summary>How the message of the <see cref="IoTException"/> of a refused CONNECT starts; the CONNACK's reason code follows.</summary>
    public const string RefusedPrefix = "the broker refused the connection: ";

    /// <summary>Called after every successful (re)connect, once subscriptions are restored. The flag is true on reconnects.</summary>
    public Func<bool, CancellationToken, Task>? Connected { get; set; }

    /// <summary>Connects (throwing if the first attempt fails) and starts watching the connection.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ConnectCoreAsync(isReconnect: false, cancellationToken).ConfigureAwait(false);
        _supervisor = Task.Run(() => SuperviseAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>
    /// Starts like <see cref="StartAsync"/>, but a first connect that fails is tried again with the reconnect backoff
    /// until the broker answers or the token is cancelled: for services that may start before their broker.
    /// </summary>
    public async Task StartWhenReachableAsync(CancellationToken cancellationToken)
    {
        var backoff = _options.ReconnectBackoff(_time);
        while (true)
        {
            try
            {
                await StartAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogWaitingForBroker(_options.Host, _options.Port, ClientId, backoff.Current.TotalMilliseconds, ex.Message);
                await backoff.DelayAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Subscribes at QoS 1 and remembers the filters for reconnects.</summary>
    public async Task SubscribeAsync(IReadOnlyCollection<string> filters, CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, uint>> added = [];
        lock (_filtersLock)
        {
            foreach (var filter in filters)
            {
                if (_filters.ContainsKey(filter)) continue;
                _lastSubscriptionId = _lastSubscriptionId % MaxSubscriptionId + 1;
                _filters[filter] = _lastSubscriptionId;
                added.Add(new(filter, _lastSubscriptionId));
            }
        }
        if (added.Count == 0 || !_client.IsConnected) return;
        await SendSubscribeAsync(added, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The subscription identifier of a filter this session holds, or 0.</summary>
    public uint SubscriptionIdentifierOf(string filter)
    {
        lock (_filtersLock) return _filters.GetValueOrDefault(filter);
    }

    private const uint MaxSubscriptionId = 268_435_455; // the largest Variable Byte Integer

    /// <summary>Unsubscribes and forgets the filters.</summary>
    public async Task UnsubscribeAsync(IReadOnlyCollection<string> filters, CancellationToken cancellationToken)
    {
        List<string> removed;
        lock (_filtersLock) removed = filters.Where(f => _filters.Remove(f)).ToList();
        if (removed.Count == 0 || !_client.IsConnected) return;
        var builder = new MqttClientUnsubscribeOptionsBuilder();
        foreach (var f in removed) builder.WithTopicFilter(f);
        try { await _client.UnsubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false); }
        catch (Exception ex) when (!_client.IsConnected)
        {
            // The broker dropped our subscriptions with the connection anyway.
            LogSendFailed(ex.Message);
        }
    }

    /// <summary>Publishes; throws <see cref="IoTException"/> (<see cref="ErrorCode.Unavailable"/>) when the broker is not reachable.</summary>
    public async Task<MqttClientPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0) throw new IoTException(ErrorCode.Unavailable, "the session is closed");
        if (!_client.IsConnected) throw new IoTException(ErrorCode.Unavailable, "not connected to the broker");
        try
        {
            return await _client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException
            || (ex is not OperationCanceledException && (!_client.IsConnected || Volatile.Read(ref _disposed) != 0)))
        {
            // A broken connection fails the publish before MQTTnet marks the client disconnected (seen once on a broker
            // kill); closing the session under a publish surfaces as ObjectDisposedException: both mean the same.
            throw new IoTException(ErrorCode.Unavailable, "the broker connection was lost", ex);
        }
    }

    /// <summary>Disconnects cleanly (no last will) and stops reconnecting.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_supervisor is not null)
        {
            // A reconnect attempt cut short by the stop may fail in any way (a timed-out SUBSCRIBE, a closed socket):
            // we are leaving, so it is logged, not thrown at whoever disposes us.
            try { await _supervisor.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            catch (Exception ex) { LogSendFailed(ex.Message); }
        }
        if (_client.IsConnected)
        {
            try
            {
                // Leaving for good: the broker may drop the session now (a persistent one would keep our
                // subscriptions, and requests to us would wait for nobody instead of failing at once).
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder()
                    .WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection)
                    .WithSessionExpiryInterval(0).Build(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) { LogSendFailed(ex.Message); }
        }
        _client.Dispose();
        _stopping.Dispose();
        _disconnected.Dispose();
    }

    /// <summary>
    /// Drops the connection as a network failure would (the broker publishes the last will and keeps a persistent
    /// session) and lets the session reconnect by itself. For fault tests.
    /// </summary>
    public async Task DropConnectionAsync()
    {
        if (!_client.IsConnected) return;
        await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder()
            .WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build(), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Drops the connection without a DISCONNECT packet, so the broker publishes the last will. For tests of crash paths.</summary>
    public ValueTask AbortAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        _stopping.Cancel();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ConnectCoreAsync(bool isReconnect, CancellationToken cancellationToken)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_options.Host, _options.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(ClientId)
            .WithCleanStart(_options.SessionExpiry == TimeSpan.Zero)
            .WithSessionExpiryInterval((uint)_options.SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(_options.ConnectTimeout);
        if (_options.Username is not null) builder.WithCredentials(_options.Username, _options.Password ?? "");
        if (_options.UseTls) builder.WithTlsOptions(ConfigureTls);
        if (_options.Will is { } will)
        {
            builder.WithWillTopic(will.Topic).WithWillPayload(will.Payload).WithWillRetain(true)
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout + _options.ConnectTimeout);
        var connack = await _client.ConnectAsync(builder.Build(), timeout.Token).ConfigureAwait(false);
        // MQTTnet 5 returns a refused CONNACK (bad credentials, not authorized) instead of throwing: say so, with its reason
        // code, rather than failing later on a "not connected" subscribe (the dashboard tells a refusal from an absent broker by it).
        if (connack.ResultCode != MqttClientConnectResultCode.Success)
            throw new IoTException(ErrorCode.Unavailable, $"{RefusedPrefix}{connack.ResultCode}{(string.IsNullOrEmpty(connack.ReasonString) ? "" : " (" + connack.ReasonString + ")")}");

        List<KeyValuePair<string, uint>> filters;
        lock (_filtersLock) filters = [.. _filters];
        try
        {
            if (filters.Count > 0) await SendSubscribeAsync(filters, cancellationToken).ConfigureAwait(false);
            LogConnected(ClientId, _options.Host, _options.Port, isReconnect, filters.Count);
            if (Connected is { } connected) await connected(isReconnect, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Connected but not restored (a refused or timed-out SUBSCRIBE, a failed republish): drop the connection, so
            // the caller, or the supervisor with its backoff, tries the whole connect again rather than carrying on half-way.
            if (_client.IsConnected)
            {
                try { await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None).ConfigureAwait(false); }
                catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or ObjectDisposedException or OperationCanceledException) { LogSendFailed(ex.Message); }
            }
            throw;
        }
    }

    private void ConfigureTls(MqttClientTlsOptionsBuilder tls)
    {
        tls.UseTls(true).WithTargetHost(_options.Host);
        if (_options.TlsCaFile is { } caFile)
        {
            var authority = TlsTrust.LoadAuthority(caFile);
            tls.WithCertificateValidationHandler(e => TlsTrust.Verify(e.Certificate, e.SslPolicyErrors, authority));
        }
        if (_options.TlsClientCertificateFile is { } certificate)
            tls.WithClientCertificates([TlsTrust.LoadWithKey(certificate, _options.TlsClientKeyFile ?? throw new ArgumentException("TlsClientKeyFile is required with a client certificate"))]);
    }

    private async Task SendSubscribeAsync(List<KeyValuePair<string, uint>> filters, CancellationToken cancellationToken)
    {
        // One SUBSCRIBE per filter: a subscription identifier applies to every filter of its packet.
        foreach (var (filter, id) in filters)
        {
            var options = new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: false,
                    MqttRetainHandling.SendAtSubscribe)
                .WithSubscriptionIdentifier(id)
                .Build();
            var result = await _client.SubscribeAsync(options, cancellationToken).ConfigureAwait(false);
            foreach (var item in result.Items)
            {
                if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
                    throw new IoTException(ErrorCode.Unavailable, $"the broker refused subscription '{item.TopicFilter.Topic}': {item.ResultCode}");
            }
        }
    }

    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await _disconnected.WaitAsync(cancellationToken).ConfigureAwait(false);
            var backoff = _options.ReconnectBackoff(_time);
            while (!cancellationToken.IsCancellationRequested && !_client.IsConnected)
            {
                try
                {
                    await ConnectCoreAsync(isReconnect: true, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LogReconnectFailed(ClientId, backoff.Current.TotalMilliseconds, ex.Message);
                    await backoff.DelayAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (Volatile.Read(ref _disposed) != 0 || !e.ClientWasConnected) return Task.CompletedTask;
        LogDisconnected(ClientId, e.Reason.ToString(), e.Exception?.Message);
        _disconnected.Release();
        return Task.CompletedTask;
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var handler = MessageReceived;
        if (handler is null) return Task.CompletedTask;
        var m = e.ApplicationMessage;
        var received = new ReceivedMessage(m.Topic, m.Payload.IsEmpty ? [] : System.Buffers.BuffersExtensions.ToArray(m.Payload), m.ResponseTopic,
            m.CorrelationData, m.MessageExpiryInterval, m.Retain, m.UserProperties, m.SubscriptionIdentifiers);
        var pending = handler(received);
        return pending.IsCompletedSuccessfully ? Task.CompletedTask : pending.AsTask();
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "MQTT {ClientId} connected to {Host}:{Port} (reconnect: {IsReconnect}, {Filters} subscriptions)")]
    private partial void LogConnected(string clientId, string host, int port, bool isReconnect, int filters);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "MQTT {ClientId} lost the broker ({Reason}): {Error}")]
    private partial void LogDisconnected(string clientId, string reason, string? error);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "MQTT {ClientId} reconnect failed, next try in {DelayMs} ms: {Error}")]
    private partial void LogReconnectFailed(string clientId, double delayMs, string error);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Waiting for the broker at {Host}:{Port} as {ClientId} (next try in {DelayMs} ms): {Error}")]
    private partial void LogWaitingForBroker(string host, int port, string clientId, double delayMs, string error);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "MQTT send failed while disconnected: {Error}")]
    private partial void LogSendFailed(string error);
}
