using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// The station's background work (device watches, reconnects, restoring notifications): each task is tracked until it
/// ends, its failure is logged instead of lost, and on dispose <see cref="CancelAsync"/> and <see cref="DrainAsync"/> end them all.
/// </summary>
internal sealed partial class BleBackgroundWork(ILogger logger) : IDisposable
{
    private readonly ILogger _logger = logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, string> _running = new();

    /// <summary>Whether <see cref="CancelAsync"/> was called.</summary>
    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Cancelled when the station is disposed.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>What is running now (for tests: whether a reconnect runs).</summary>
    public IReadOnlyCollection<string> Running => [.. _running.Values];

    /// <summary>Runs <paramref name="work"/> in the background; nothing new starts once stopping.</summary>
    public void Run(string what, Func<CancellationToken, Task> work)
    {
        if (_stopping.IsCancellationRequested) return;
        var token = _stopping.Token;
        var task = Task.Run(async () =>
        {
            try { await work(token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { }
            catch (Exception e) { LogBackgroundFailed(e, what); }
        }, CancellationToken.None);
        _running[task] = what;
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Cancels the background work (nothing new starts after this).</summary>
    public Task CancelAsync() => _stopping.CancelAsync();

    /// <summary>Waits for every task still running (they end on the cancellation).</summary>
    public async Task DrainAsync()
    {
        foreach (var (task, _) in _running)
        {
            try { await task.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(EventId = 2320, Level = LogLevel.Error, Message = "BLE background work failed: {What}")]
    private partial void LogBackgroundFailed(Exception exception, string what);
}
