using System.Diagnostics;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// Open-loop pacing at a fixed rate: message i is due at start + i/rate, whatever happened to the ones before.
/// Timers on Linux wake about once a millisecond, so every message that is due is sent at each wake-up.
/// </summary>
public static class Pacer
{
    /// <summary>Calls <paramref name="send"/> for 0..count-1 at <paramref name="perSecond"/>; bounded by <paramref name="limit"/>.</summary>
    public static async Task<int> RunAsync(int count, double perSecond, TimeSpan limit, Func<int, ValueTask> send, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        int next = 0;
        while (next < count)
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed > limit) break;
            int due = Math.Min(count, (int)(elapsed.TotalSeconds * perSecond) + 1);
            while (next < due) await send(next++);
            if (next < count) await Task.Delay(1, cancellationToken);
        }
        return next;
    }
}
