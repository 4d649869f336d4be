using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// The retry policy of every BlueZ call: <c>InProgress</c> (another operation on the object is still running) is
/// retried with growing pauses, then becomes BUSY; other D-Bus errors get their wire code; a lost bus is BACKEND_FAILURE.
/// </summary>
internal sealed partial class BlueZCalls(BleStationOptions options, TimeProvider time, ILogger logger)
{
    private readonly ILogger _logger = logger;

    /// <summary>Runs a BlueZ call under the policy.</summary>
    public async Task<T> CallAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var delay = options.RetryDelay;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                // A D-Bus call cannot be cancelled; on cancellation we stop waiting and BlueZ finishes it alone.
                return await call().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DBusException e) when (BlueZErrors.IsInProgress(e) && attempt < options.InProgressRetries)
            {
                LogInProgressRetry(what, attempt + 1);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (DBusException e)
            {
                throw BlueZErrors.ToIoT(e, what);
            }
            catch (Exception e) when (e is DisconnectedException or ConnectException or ObjectDisposedException)
            {
                throw new IoTException(ErrorCode.BackendFailure, $"{what}: the D-Bus connection is gone ({e.Message})", e);
            }
        }
    }

    /// <summary>Runs a BlueZ call that returns nothing under the policy.</summary>
    public Task CallAsync(string what, Func<Task> call, CancellationToken cancellationToken) =>
        CallAsync(what, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, cancellationToken);

    [LoggerMessage(EventId = 2317, Level = LogLevel.Debug, Message = "{What}: BlueZ says InProgress, retry {Attempt}")]
    private partial void LogInProgressRetry(string what, int attempt);
}
