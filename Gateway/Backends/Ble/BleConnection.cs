using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Protocol;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>What one change of a device's link properties did to the link.</summary>
internal readonly record struct LinkChange(bool BecameReady, bool Lost, bool Reconnect, bool WasConnecting, TaskCompletionSource? FailWaiters);

/// <summary>
/// The connection supervisor of one device: whether its link is ready (connected with the GATT services resolved),
/// CONNECT (attempts, the wait for ServicesResolved, giving up a half-made link), a disconnect on request, and the
/// reconnection after a drop. Connecting and reconnecting run under the device's GATT lock.
/// </summary>
internal sealed partial class BleConnection(BleDevice device, BleStation station, IDevice1 proxy, SemaphoreSlim gatt,
    Func<CancellationToken, Task<bool>> restoreNotifications, ILogger logger)
{
    private static readonly TimeSpan DisconnectWait = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private TaskCompletionSource _readyTcs = NewReady();
    private CancellationTokenSource? _reconnect;
    private bool _ready;
    private bool _connecting;
    private bool _requestedDisconnect;

    public bool IsReady
    {
        get { lock (_lock) return _ready; }
    }

    /// <summary>
    /// Applies the link properties after a change (called under the device's props lock, so changes apply in order).
    /// A link that goes down while a CONNECT waits for its services fails that CONNECT now, not at its timeout.
    /// </summary>
    public LinkChange Update(bool wasConnected, bool connected, bool ready)
    {
        lock (_lock)
        {
            bool becameReady = false, lost = false, reconnect = false;
            TaskCompletionSource? failWaiters = null;
            if (ready && !_ready) _ready = becameReady = true;
            else if (!ready && _ready)
            {
                _ready = false;
                lost = true;
                _readyTcs = NewReady();
                reconnect = !_requestedDisconnect;
            }
            if (wasConnected && !connected && _connecting && !_readyTcs.Task.IsCompleted)
            {
                failWaiters = _readyTcs;
                _readyTcs = NewReady();
            }
            return new LinkChange(becameReady, lost, reconnect, _connecting, failWaiters);
        }
    }

    /// <summary>The services are resolved and the keys set: a waiting CONNECT goes on.</summary>
    public void CompleteReady()
    {
        TaskCompletionSource ready;
        lock (_lock) ready = _readyTcs;
        ready.TrySetResult();
    }

    /// <summary>A disconnect on request: no reconnect follows the drop it causes.</summary>
    public void RequestDisconnect()
    {
        lock (_lock) _requestedDisconnect = true;
    }

    /// <summary>Connects and waits until the services are resolved, then turns notifications that were on back on. Under the GATT lock.</summary>
    public async Task ConnectLockedAsync(CancellationToken cancellationToken)
    {
        Task ready;
        lock (_lock)
        {
            _requestedDisconnect = false;
            ready = _ready ? Task.CompletedTask : _readyTcs.Task;
            _connecting = true;
        }
        var options = station.Options;
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, station.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            if (!ready.IsCompleted)
            {
                for (int attempt = 1; ; attempt++)
                {
                    try
                    {
                        await station.Calls.CallAsync($"connect '{device.Id}'", () => proxy.ConnectAsync(), linked.Token).ConfigureAwait(false);
                        break;
                    }
                    catch (IoTException e) when (e.InnerException is DBusException { ErrorName: BlueZNames.ErrorAlreadyConnected }) { break; }
                    catch (IoTException e) when (e.Code == ErrorCode.BackendFailure && attempt < options.ConnectAttempts)
                    {
                        LogConnectRetry(device.Id, attempt, e.Message);
                    }
                }
                await ready.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            await restoreNotifications(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IoTException)
        {
            if (!IsReady) await AbandonConnectAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                throw new IoTException(ErrorCode.BackendFailure,
                    $"'{device.Id}' did not connect and resolve its GATT services within {options.ConnectTimeout.TotalSeconds:0.#} s", e);
            throw;
        }
        finally
        {
            lock (_lock) _connecting = false;
        }
    }

    /// <summary>Reconnects after a drop, with the one capped exponential <see cref="Backoff"/> between attempts, until it works, is no longer wanted, or the attempts run out.</summary>
    public async Task ReconnectAsync(CancellationToken stopping)
    {
        var options = station.Options;
        using var reconnect = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        lock (_lock)
        {
            _reconnect?.Cancel();
            _reconnect = reconnect;
        }
        try
        {
            var backoff = new Backoff(options.ReconnectBackoff, station.Time);
            for (int attempt = 1; attempt <= options.ReconnectAttempts; attempt++)
            {
                await backoff.DelayAsync(reconnect.Token).ConfigureAwait(false);
                await gatt.WaitAsync(reconnect.Token).ConfigureAwait(false);
                try
                {
                    lock (_lock) if (_requestedDisconnect) return;
                    if (!station.IsStarted) return;
                    await ConnectLockedAsync(reconnect.Token).ConfigureAwait(false);
                    LogReconnected(device.Id, attempt);
                    return;
                }
                catch (IoTException e) { LogReconnectFailed(device.Id, attempt, options.ReconnectAttempts, e.Message); }
                finally { gatt.Release(); }
            }
            LogReconnectGaveUp(device.Id, options.ReconnectAttempts);
        }
        catch (OperationCanceledException) when (reconnect.IsCancellationRequested) { }
        finally
        {
            lock (_lock) if (_reconnect == reconnect) _reconnect = null;
        }
    }

    public void CancelReconnect()
    {
        lock (_lock) _reconnect?.Cancel();
    }

    /// <summary>Cancels a connection that did not complete, so BlueZ does not keep trying behind our back.</summary>
    private async Task AbandonConnectAsync()
    {
        try { await proxy.DisconnectAsync().WaitAsync(DisconnectWait, station.Time).ConfigureAwait(false); }
        catch (Exception e) when (e is DBusException or TimeoutException or DisconnectedException) { }
    }

    private static TaskCompletionSource NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Connecting '{Device}' failed (attempt {Attempt}), trying again: {Error}")]
    private partial void LogConnectRetry(string device, int attempt, string error);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Information, Message = "BLE device '{Device}' reconnected after {Attempts} attempt(s)")]
    private partial void LogReconnected(string device, int attempts);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "Reconnecting '{Device}' failed (attempt {Attempt} of {Max}): {Error}")]
    private partial void LogReconnectFailed(string device, int attempt, int max, string error);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Warning, Message = "Gave up reconnecting '{Device}' after {Attempts} attempts")]
    private partial void LogReconnectGaveUp(string device, int attempts);
}
