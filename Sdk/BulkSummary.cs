using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>
/// The tally of a bulk request: how many devices were asked, how many did it, and how many failed with each error code.
/// Add each <see cref="BulkResult"/> as it arrives (<see cref="Add"/>), or tally a whole run with <see cref="CollectAsync"/>.
/// Not thread-safe: one reader of the enumeration adds to it.
/// </summary>
public sealed class BulkSummary
{
    private readonly Dictionary<ErrorCode, int> _failures = [];

    /// <summary>Devices that answered (or failed), each counted once.</summary>
    public int Total { get; private set; }

    /// <summary>Devices that did what was asked.</summary>
    public int Succeeded { get; private set; }

    /// <summary>Devices that failed, with any code.</summary>
    public int Failed => Total - Succeeded;

    /// <summary>How many devices failed with each code.</summary>
    public IReadOnlyDictionary<ErrorCode, int> Failures => _failures;

    /// <summary>Counts one result.</summary>
    public void Add(BulkResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Total++;
        if (result.Error is { } code) _failures[code] = _failures.GetValueOrDefault(code) + 1;
        else Succeeded++;
    }

    /// <summary>Reads a whole bulk request and tallies it.</summary>
    public static async Task<BulkSummary> CollectAsync(IAsyncEnumerable<BulkResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        var summary = new BulkSummary();
        await foreach (var result in results.WithCancellation(cancellationToken).ConfigureAwait(false)) summary.Add(result);
        return summary;
    }

    /// <summary>One line: <c>1000 devices: 990 ok, 10 failed (NOT_CONNECTED 10)</c>.</summary>
    public override string ToString() => Failed == 0
        ? $"{Total} devices: {Succeeded} ok"
        : $"{Total} devices: {Succeeded} ok, {Failed} failed ({string.Join(", ", _failures.OrderBy(f => f.Key).Select(f => $"{WireName<ErrorCode>.Of(f.Key)} {f.Value}"))})";
}
