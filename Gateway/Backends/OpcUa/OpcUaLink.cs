using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa;
using MqttIoT.Protocol;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>
/// The station's link to its server: one supervisor that connects, waits for the session's loss and connects again,
/// with the shared <see cref="Backoff"/> between failed attempts and after links that did not last. It owns the
/// session, the connection state and the reconnect count; what a new or lost link means for devices and watched
/// keys is the station's business, told through <see cref="LinkUp"/> and <see cref="LinkDown"/>.
/// </summary>
internal sealed partial class OpcUaLink
{
    private readonly OpcUaStationOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<OpcUaClientOptions, CancellationToken, Task<IOpcUaSession>> _connect;
    private readonly Lock _lock = new();
    private IOpcUaSession? _session;
    private CancellationTokenSource? _running;
    private Task _supervisor = Task.CompletedTask;
    private string _state = "stopped";
    private int _reconnects;

    public OpcUaLink(OpcUaStationOptions options, ILogger logger, TimeProvider time,
        Func<OpcUaClientOptions, CancellationToken, Task<IOpcUaSession>> connect)
    {
        _options = options;
        _logger = logger;
        _time = time;
        _connect = connect;
    }

    /// <summary>
    /// A session was published: bring back what the last loss took and return how many monitored items were
    /// restored. Throws <see cref="OpcUaException"/> only when the link broke meanwhile.
    /// </summary>
    public required Func<IOpcUaSession, bool, CancellationToken, Task<int>> LinkUp { get; init; }

    /// <summary>The published session broke (it is no longer published when this runs).</summary>
    public required Action<OpcUaException> LinkDown { get; init; }

    /// <summary>The connection state changed (a props refresh).</summary>
    public required Action StateChanged { get; init; }

    /// <summary>stopped, connecting, connected or reconnecting.</summary>
    public string State { get { lock (_lock) return _state; } }

    /// <summary>How many times the link was made again after it broke.</summary>
    public int Reconnects { get { lock (_lock) return _reconnects; } }

    /// <summary>The policy and mode of the session, when it is one of this project's client (<c>Basic256Sha256/SignAndEncrypt</c>).</summary>
    public string? Security
    {
        get { lock (_lock) return _session is OpcUaSession s ? $"{s.SecurityPolicy.Name}/{s.SecurityMode}" : null; }
    }

    /// <summary>The session, when the link is up.</summary>
    public IOpcUaSession? Session
    {
        get { lock (_lock) return _session is { IsConnected: true } s ? s : null; }
    }

    /// <summary>Starts the supervisor; the task completes after its first connection attempt, whatever came of it.</summary>
    public Task StartAsync()
    {
        var firstAttempt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_running is not null) return Task.CompletedTask;
            _state = "connecting";
            _running = new CancellationTokenSource();
            var running = _running;
            _supervisor = Task.Run(() => SuperviseAsync(running, firstAttempt), CancellationToken.None);
        }
        return firstAttempt.Task;
    }

    /// <summary>Stops the supervisor and closes the session, if there is one.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? running;
        IOpcUaSession? session;
        Task supervisor;
        lock (_lock)
        {
            running = _running;
            if (running is null) return;
            _running = null;
            _state = "stopped";
            session = _session;
            _session = null;
            supervisor = _supervisor;
        }
        await running.CancelAsync().ConfigureAwait(false);
        try { await supervisor.ConfigureAwait(false); } catch (OperationCanceledException) { }
        running.Dispose();
        if (session is null) return;
        try { await session.CloseAsync(cancellationToken).ConfigureAwait(false); }
        catch (Exception ex) when (ex is OpcUaException or OperationCanceledException) { LogCloseFailed(ex.Message); }
        await session.DisposeAsync().ConfigureAwait(false);
    }

    private async Task SuperviseAsync(CancellationTokenSource running, TaskCompletionSource firstAttempt)
    {
        var cancellationToken = running.Token;
        var backoff = new Backoff(new BackoffOptions
        {
            MinDelay = _options.ReconnectMinDelay, MaxDelay = _options.ReconnectMaxDelay, Jitter = _options.ReconnectJitter,
        }, _time);
        bool everConnected = false;
        bool backOff = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (backOff) await backoff.DelayAsync(cancellationToken).ConfigureAwait(false);
                // Whatever ends this round (a failed connect, a link that did not last) waits before the next one.
                backOff = true;
                IOpcUaSession session;
                try
                {
                    session = await _connect(_options.ClientOptions(), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogConnectFailed(_options.Endpoint, ex.Message, backoff.Current.TotalMilliseconds);
                    SetState(running, everConnected ? "reconnecting" : "connecting");
                    firstAttempt.TrySetResult();
                    continue;
                }
                long connectedAt = _time.GetTimestamp();
                var lost = new TaskCompletionSource<OpcUaException>(TaskCreationOptions.RunContinuationsAsynchronously);
                session.ConnectionLost += ex => lost.TrySetResult(ex);
                if (!session.IsConnected) lost.TrySetResult(new OpcUaException(MqttIoT.OpcUa.Binary.StatusCodes.BadConnectionClosed, "lost while connecting"));
                if (!Publish(running, session, everConnected))
                {
                    // Stopped while connecting: StopAsync has let go of everything, so this session is ours to drop.
                    await session.DisposeAsync().ConfigureAwait(false);
                    return;
                }
                try
                {
                    var restored = await LinkUp(session, everConnected, cancellationToken).ConfigureAwait(false);
                    if (everConnected) LogReconnected(_options.Endpoint, restored);
                    everConnected = true;
                }
                catch (OperationCanceledException)
                {
                    if (Take(session)) await session.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                catch (OpcUaException ex)
                {
                    // Only a broken link gets here (LinkUp keeps service errors to itself): its loss is already
                    // signalled, or will be.
                    LogLinkBrokeWhileRestoring(ex.Message);
                    lost.TrySetResult(ex);
                }
                firstAttempt.TrySetResult();
                OpcUaException reason;
                try { reason = await lost.Task.WaitAsync(cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException)
                {
                    // StopAsync closes the session it took; one we are still holding alone is ours to close.
                    if (Take(session)) await session.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                if (Take(session))
                {
                    SetState(running, "reconnecting");
                    LinkDown(reason);
                }
                await session.DisposeAsync().ConfigureAwait(false);
                // A link that lasted is made again at once; one that broke soon after it was made (a server that
                // accepts and drops us) waits the backoff, so a flapping server is not hammered.
                var lived = _time.GetElapsedTime(connectedAt);
                backOff = lived < _options.StableLinkTime;
                if (backOff) LogLinkShortLived(lived.TotalMilliseconds, backoff.Current.TotalMilliseconds);
                else backoff.Reset();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        finally
        {
            firstAttempt.TrySetResult();
        }
    }

    private bool Publish(CancellationTokenSource running, IOpcUaSession session, bool reconnected)
    {
        lock (_lock)
        {
            if (_running != running) return false;
            _session = session;
            _state = "connected";
            if (reconnected) _reconnects++;
            return true;
        }
    }

    private bool Take(IOpcUaSession session)
    {
        lock (_lock)
        {
            if (_session != session) return false;
            _session = null;
            return true;
        }
    }

    private void SetState(CancellationTokenSource running, string state)
    {
        bool changed;
        lock (_lock)
        {
            changed = _running == running && _state != state;
            if (changed) _state = state;
        }
        if (changed) StateChanged();
    }

    [LoggerMessage(EventId = 2400, Level = LogLevel.Warning, Message = "OPC UA station cannot connect to {Endpoint}: {Error}; trying again in {DelayMs} ms")]
    private partial void LogConnectFailed(string endpoint, string error, double delayMs);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Warning, Message = "The OPC UA link lasted only {LivedMs} ms; reconnecting in {DelayMs} ms")]
    private partial void LogLinkShortLived(double livedMs, double delayMs);

    [LoggerMessage(EventId = 2403, Level = LogLevel.Information, Message = "OPC UA station reconnected to {Endpoint}; {Items} monitored items restored")]
    private partial void LogReconnected(string endpoint, int items);

    [LoggerMessage(EventId = 2409, Level = LogLevel.Warning, Message = "The OPC UA link broke while restoring what was watched: {Error}")]
    private partial void LogLinkBrokeWhileRestoring(string error);

    [LoggerMessage(EventId = 2406, Level = LogLevel.Debug, Message = "Closing the OPC UA session failed: {Error}")]
    private partial void LogCloseFailed(string error);
}
