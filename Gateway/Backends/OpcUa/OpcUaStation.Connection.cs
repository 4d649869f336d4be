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
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
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
                    await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                    continue;
                }
                delay = _options.ReconnectMinDelay;
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
                    // The link broke again while restoring: the loss below is already signalled, or will be.
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

    /// <summary>Publishes the new session, watches again what was watched, and brings back the devices the loss took.</summary>
    private async Task<int> OnLinkUpAsync(IOpcUaSession session, bool reconnected, CancellationToken cancellationToken)
    {
        List<OpcUaDevice> restore;
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
            restore = [.. _devices.Values.Where(d => d.RestoreOnReconnect)];
        }
        var watches = restore.SelectMany(d => d.WatchedVariables().Select(v => (Device: d, Variable: v))).ToList();
        int restored = 0;
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
                        else LogRestoreItemFailed(watches[i].Device.Id, watches[i].Variable.Key, items[i].StatusCode.Describe());
                    }
                }
            }
            finally { _subscriptionLock.Release(); }
        }
        foreach (var d in restore)
        {
            lock (_lock)
            {
                d.Connected = true;
                d.RestoreOnReconnect = false;
            }
            RaiseConnected(d, true, new JsonObject { ["reconnected"] = true, ["watchedKeys"] = new JsonArray([.. d.Watched.Order().Select(k => (JsonNode)JsonValue.Create(k))]) });
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "OPC UA station cannot connect to {Endpoint}: {Error}; trying again in {DelayMs} ms")]
    private partial void LogConnectFailed(string endpoint, string error, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OPC UA station lost {Endpoint}: {Reason}; {Devices} devices disconnected until it is back")]
    private partial void LogLinkLost(string endpoint, string reason, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "OPC UA station reconnected to {Endpoint}; {Items} monitored items restored")]
    private partial void LogReconnected(string endpoint, int items);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restoring after a reconnect failed: {Error}")]
    private partial void LogRestoreFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not watch '{Key}' of '{Device}' again after a reconnect: {Status}")]
    private partial void LogRestoreItemFailed(string device, string key, string status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closing the OPC UA session failed: {Error}")]
    private partial void LogCloseFailed(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Discovery found {Count} objects under {Root} in {Ms} ms")]
    private partial void LogDiscovered(int count, string root, double ms);
}
