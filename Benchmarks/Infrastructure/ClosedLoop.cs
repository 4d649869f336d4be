using System.Diagnostics;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// One closed-loop run: messages 0..n-1, each sent once a slot of the window is free (a slot comes back when every
/// subscriber has its message), so nothing can overflow; deliveries/s from the first send to the last delivery.
/// </summary>
public sealed record ClosedLoop(double PerSecond, long Deliveries, TimeSpan Elapsed, string Anomalies)
{
    /// <summary>
    /// Sends through <paramref name="send"/> with a tracker handed to the subscribers by <paramref name="use"/> for the
    /// run; bounded by <paramref name="limit"/> and by <paramref name="stall"/> without a free slot.
    /// </summary>
    public static async Task<ClosedLoop> RunAsync(int messages, int subscribers, int window, TimeSpan limit, TimeSpan stall,
        Action<DeliveryTracker?> use, Func<int, ValueTask> send, CancellationToken cancellationToken)
    {
        using var tracker = new DeliveryTracker(messages, subscribers, window);
        use(tracker);
        try
        {
            var start = Stopwatch.GetTimestamp();
            for (int seq = 0; seq < messages; seq++)
            {
                if (!await tracker.AcquireAsync(stall, cancellationToken) || Stopwatch.GetElapsedTime(start) > limit) break;
                tracker.Sent(seq);
                await send(seq);
            }
            await tracker.WaitAllAsync(stall);
            var seconds = Math.Max(1e-6, Stopwatch.GetElapsedTime(start, tracker.LastDeliveryAt).TotalSeconds);
            return new ClosedLoop(tracker.DeliveryCount / seconds, tracker.DeliveryCount, Stopwatch.GetElapsedTime(start), tracker.Anomalies());
        }
        finally
        {
            use(null);
        }
    }
}
