using System.Diagnostics;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>Latencies of one run, in Stopwatch ticks, with percentiles in milliseconds. Thread-safe to add to.</summary>
public sealed class LatencyRecorder
{
    private readonly long[] _samples;
    private int _count;

    /// <summary>Room for <paramref name="capacity"/> samples; more are ignored.</summary>
    public LatencyRecorder(int capacity) => _samples = new long[capacity];

    /// <summary>Samples kept.</summary>
    public int Count => Math.Min(Volatile.Read(ref _count), _samples.Length);

    /// <summary>Adds one latency in Stopwatch ticks.</summary>
    public void Add(long ticks)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _samples.Length) _samples[i] = ticks;
    }

    /// <summary>Runs <paramref name="call"/> <paramref name="count"/> times one after the other, timing each into <paramref name="latencies"/> when given.</summary>
    public static async Task SerialAsync(Func<int, Task> call, int count, LatencyRecorder? latencies)
    {
        for (int i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call(i);
            latencies?.Add(Stopwatch.GetTimestamp() - start);
        }
    }

    /// <summary>Percentiles (0..100) in milliseconds, nearest-rank.</summary>
    public double[] Percentiles(params double[] percentiles)
    {
        var n = Count;
        if (n == 0) return [.. percentiles.Select(_ => double.NaN)];
        var sorted = _samples[..n];
        Array.Sort(sorted);
        return [.. percentiles.Select(p =>
        {
            var rank = (int)Math.Ceiling(p / 100.0 * n) - 1;
            return sorted[Math.Clamp(rank, 0, n - 1)] * 1000.0 / Stopwatch.Frequency;
        })];
    }
}
