using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>The link to the server: connect, watch for its loss, reconnect with backoff, restore what was watched.</summary>
public sealed partial class OpcUaStation
{
    private async Task SuperviseAsync(TaskCompletionSource firstAttempt, CancellationToken cancellationToken)
    {
        var delay = _options.ReconnectMinDelay;
        bool everConnected = false;
        bool backOff = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (backOff)
                {
                    await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                }
                // Whatever ends this round (a failed connect, a link that did not last) waits before the next one.
                backOff = true;
                IOpcUaSession session;
                try
                {
                    session = await _connect(_options.ClientOptions(), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogConnectFailed(_options.Endpoint, ex.Message, delay.TotalMilliseconds);
                    SetConnection(everConnected ? "reconnecting" : "connecting");
                    firstAttempt.TrySetResult();
                    continue;
                }
                long connectedAt = Time.GetTimestamp();
                var lost = new TaskCompletionSource<OpcUaException>(TaskCreationOptions.RunContinuationsAsynchronously);
                session.ConnectionLost += ex => lost.TrySetResult(ex);
                if (!session.IsConnected) lost.TrySetResult(new OpcUaException(MqttIoT.OpcUa.Binary.StatusCodes.BadConnectionClosed, "lost while connecting"));
                try
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var restored = await OnLinkUpAsync(session, everConnected, cancellationToken).ConfigureAwait(false);
                    if (everConnected) LogReconnected(_options.Endpoint, restored);
                    everConnected = true;
                }
                catch (OperationCanceledException)
                {
                    if (TakeSession(session) || !IsPublished(session)) await session.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                catch (OpcUaException ex)
                {
                    // Only a broken link gets here (OnLinkUpAsync keeps service errors to itself): its loss is
                    // already signalled, or will be.
                    LogRestoreFailed(ex.Message);
                    lost.TrySetResult(ex);
                }
                firstAttempt.TrySetResult();
                OpcUaException reason;
                try { reason = await lost.Task.WaitAsync(cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException)
                {
                    // StopAsync closes the session it took; one we are still holding alone is ours to close.
                    if (TakeSession(session)) await session.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                OnLinkDown(session, reason);
                await session.DisposeAsync().ConfigureAwait(false);
                // A link that lasted is made again at once; one that broke soon after it was made (a server that
                // accepts and drops us) waits the backoff, so a flapping server is not hammered.
                var lived = Time.GetElapsedTime(connectedAt);
                backOff = lived < _options.StableLinkTime;
                if (backOff) LogLinkShortLived(lived.TotalMilliseconds, delay.TotalMilliseconds);
                else delay = _options.ReconnectMinDelay;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        finally
        {
            firstAttempt.TrySetResult();
        }
    }

    private bool IsPublished(IOpcUaSession session)
    {
        lock (_lock) return _session == session;
    }

    private bool TakeSession(IOpcUaSession session)
    {
        lock (_lock)
        {
            if (_session != session) return false;
            _session = null;
            return true;
        }
    }

    /// <summary>
    /// Publishes the new session, brings back the devices the loss took (their CONNECTED event comes first, so no
    /// NOTIFIED of theirs precedes it), then watches again what they watched. A service error while restoring (the
    /// server refuses the subscription or an item) is not a lost link: the devices stay connected, and each key that
    /// could not be watched again gets NOTIFY_STOPPED with the reason. A broken link throws.
    /// </summary>
    private async Task<int> OnLinkUpAsync(IOpcUaSession session, bool reconnected, CancellationToken cancellationToken)
    {
        List<(OpcUaDevice Device, JsonObject Data)> restore;
        lock (_lock)
        {
            // Stopped while connecting: StopAsync has already let go of everything, so this session is not published.
            if (!_started) throw new OperationCanceledException("the station stopped");
            _session = session;
            _subscription = null;
            _watchedNodes.Clear();
            _items.Clear();
            _connection = "connected";
            if (reconnected) _reconnects++;
            restore = [];
            foreach (var d in _devices.Values.Where(d => d.RestoreOnReconnect))
            {
                d.Connected = true;
                d.RestoreOnReconnect = false;
                restore.Add((d, new JsonObject { ["reconnected"] = true, ["watchedKeys"] = new JsonArray([.. d.Watched.Order().Select(k => (JsonNode)JsonValue.Create(k))]) }));
            }
        }
        foreach (var (d, data) in restore) RaiseConnected(d, true, data);
        var watches = restore.SelectMany(r => r.Device.WatchedVariables().Select(v => (r.Device, Variable: v))).ToList();
        int restored = 0;
        var failed = new List<(OpcUaDevice Device, OpcUaVariable Variable, string Reason)>();
        if (watches.Count > 0)
        {
            await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var subscription = await EnsureSubscriptionAsync(session, cancellationToken).ConfigureAwait(false);
                lock (_lock) foreach (var (d, v) in watches) _watchedNodes[v.NodeId] = (d, v);
                var items = await subscription.CreateMonitoredItemsAsync(watches.Select(w => ItemFor(w.Variable)).ToList(), cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    for (int i = 0; i < items.Count; i++)
                    {
                        if (items[i].StatusCode.IsGood) { _items[(watches[i].Device.Id, watches[i].Variable.Key)] = items[i]; restored++; }
                        else failed.Add((watches[i].Device, watches[i].Variable, items[i].StatusCode.Describe()));
                    }
                }
            }
            catch (OpcUaException ex) when (session.IsConnected)
            {
                LogRestoreFailed(ex.Message);
                failed = [.. watches.Select(w => (w.Device, w.Variable, ex.Message))];
            }
            finally { _subscriptionLock.Release(); }
        }
        foreach (var (d, v, why) in failed)
        {
            LogRestoreItemFailed(d.Id, v.Key, why);
            lock (_lock)
            {
                d.Watched.Remove(v.Key);
                if (_watchedNodes.TryGetValue(v.NodeId, out var owner) && owner.Device == d) _watchedNodes.Remove(v.NodeId);
            }
            _sink?.OnDeviceEvent(d.Id, DeviceEventType.NotifyStopped, v.Key, new JsonObject { ["reason"] = why });
        }
        _sink?.OnStationEvent(StationEventType.PropsChanged);
        return restored;
    }

    /// <summary>Every connected device goes DISCONNECTED, remembering that it should come back with its watched keys.</summary>
    private void OnLinkDown(IOpcUaSession session, OpcUaException reason)
    {
        List<OpcUaDevice> dropped;
        lock (_lock)
        {
            if (_session != session) return;
            _session = null;
            _subscription = null;
            _watchedNodes.Clear();
            _items.Clear();
            _connection = "reconnecting";
            dropped = [.. _devices.Values.Where(d => d.Connected)];
            foreach (var d in dropped)
            {
                d.Connected = false;
                d.RestoreOnReconnect = true;
            }
        }
        LogLinkLost(_options.Endpoint, reason.Message, dropped.Count);
        foreach (var d in dropped) RaiseConnected(d, false, new JsonObject { ["reason"] = reason.Message });
        _sink?.OnStationEvent(StationEventType.PropsChanged);
    }

    private void SetConnection(string state)
    {
        bool changed;
        lock (_lock)
        {
            changed = _started && _connection != state;
            if (changed) _connection = state;
        }
        if (changed) _sink?.OnStationEvent(StationEventType.PropsChanged);
    }

    [LoggerMessage(EventId = 2400, Level = LogLevel.Warning, Message = "OPC UA station cannot connect to {Endpoint}: {Error}; trying again in {DelayMs} ms")]
    private partial void LogConnectFailed(string endpoint, string error, double delayMs);

    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning, Message = "OPC UA station lost {Endpoint}: {Reason}; {Devices} devices disconnected until it is back")]
    private partial void LogLinkLost(string endpoint, string reason, int devices);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Warning, Message = "The OPC UA link lasted only {LivedMs} ms; reconnecting in {DelayMs} ms")]
    private partial void LogLinkShortLived(double livedMs, double delayMs);

    [LoggerMessage(EventId = 2403, Level = LogLevel.Information, Message = "OPC UA station reconnected to {Endpoint}; {Items} monitored items restored")]
    private partial void LogReconnected(string endpoint, int items);

    [LoggerMessage(EventId = 2404, Level = LogLevel.Warning, Message = "Restoring after a reconnect failed: {Error}")]
    private partial void LogRestoreFailed(string error);

    [LoggerMessage(EventId = 2405, Level = LogLevel.Warning, Message = "Could not watch '{Key}' of '{Device}' again after a reconnect: {Status}")]
    private partial void LogRestoreItemFailed(string device, string key, string status);

    [LoggerMessage(EventId = 2406, Level = LogLevel.Debug, Message = "Closing the OPC UA session failed: {Error}")]
    private partial void LogCloseFailed(string error);

    [LoggerMessage(EventId = 2407, Level = LogLevel.Information, Message = "Discovery found {Count} objects under {Root} in {Ms} ms")]
    private partial void LogDiscovered(int count, string root, double ms);
}
