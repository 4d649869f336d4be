using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

// Bulk requests: one device request sent to every device a hub filter matches (issue 17, "Bulk requests").
public sealed partial class IoTHubClient
{
    /// <summary>
    /// Sends one device request to every device whose hub record matches <paramref name="filter"/>, at most
    /// <paramref name="maxConcurrency"/> at a time, and yields each device's result as it arrives (in no fixed order).
    /// Every matching device yields exactly one result, success or error code; a device is asked once even if the hub's
    /// pages list it twice (a record that changes while the pages are read).
    /// </summary>
    /// <param name="filter">The hub filter (topics.md, "Filters"); null matches every device the hub knows.</param>
    /// <param name="type">The request.</param>
    /// <param name="body">Its body (a key, a value...); the same for every device.</param>
    /// <param name="maxConcurrency">Requests in flight at once (1 to 1000).</param>
    /// <param name="timeout">Each request's deadline (and each hub page's); the client's DefaultTimeout when null.</param>
    /// <param name="cancellationToken">Stops sending; requests in flight are abandoned and the enumeration ends with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="IoTException">From the enumeration, when the hub cannot list the devices: <see cref="ErrorCode.BadRequest"/> for a
    /// filter it does not accept, <see cref="ErrorCode.Unavailable"/> when no hub runs. Per-device failures are results, never exceptions.</exception>
    public async IAsyncEnumerable<BulkResult> BulkRequestAsync(HubFilter? filter, DeviceRequestType type, RequestBody? body = null,
        int maxConcurrency = 16, TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxConcurrency, 1000);
        // The results wait in a channel as small as the concurrency; a worker frees its slot only once its result is taken
        // up by the channel, so a slow reader slows the sending instead of piling up results.
        var results = Channel.CreateBounded<BulkResult>(new BoundedChannelOptions(maxConcurrency) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(() => ProduceBulkAsync(filter, type, body, maxConcurrency, timeout, results.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var result in results.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return result;
        }
        finally
        {
            // A reader that stops early (break, dispose, cancellation) stops the sending and waits for it, so no request
            // outlives the enumeration.
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }
    }

    private async Task ProduceBulkAsync(HubFilter? filter, DeviceRequestType type, RequestBody? body, int maxConcurrency, TimeSpan? timeout,
        ChannelWriter<BulkResult> results, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(maxConcurrency, maxConcurrency);
        var seen = new HashSet<(string Station, string Device)>();
        var running = new List<Task>();
        Exception? failure = null;
        try
        {
            await foreach (var record in FindAllDevicesAsync(filter, pageSize: 500, timeout: timeout, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var station = record.Station;
                if (station is null || !seen.Add((station, record.Id))) continue;
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                running.Add(SendOneAsync(station, record.Id));
                if (running.Count >= 4 * maxConcurrency) running.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        // Every started request finishes (or is cancelled) before the channel completes, so a result is never lost.
        try { await Task.WhenAll(running).ConfigureAwait(false); }
        catch (Exception ex) { failure ??= ex; }
        // The reader sees the failure (a hub error, a cancellation, a disposed client) when the channel ends; the task itself never faults.
        results.TryComplete(failure);

        async Task SendOneAsync(string station, string device)
        {
            try
            {
                BulkResult result;
                try
                {
                    var data = await DeviceRequestAsync(station, device, type, body, timeout, cancellationToken).ConfigureAwait(false);
                    result = new BulkResult(station, device, null, null, data.ValueKind == JsonValueKind.Undefined ? default : data.Clone());
                }
                catch (IoTException ex)
                {
                    result = new BulkResult(station, device, ex.Code, ex.Message, default);
                }
                await results.WriteAsync(result, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        }
    }
}
