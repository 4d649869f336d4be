using System.Diagnostics;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// One open-loop run: <see cref="Messages"/> messages sent at a fixed <see cref="Rate"/> (the <see cref="Pacer"/>),
/// whatever the subscribers do, each counted at every subscriber. It is <see cref="Clean"/> when every message was
/// sent on schedule and reached every subscriber exactly once by the deadline: the time the sends take plus a grace.
/// </summary>
public sealed record PacedRun(double Rate, int Messages, int Sent, long Lost, long Duplicates, long Unexpected, bool OnTime, TimeSpan Took,
    double P99)
{
    /// <summary>Sent on schedule, nothing lost, nothing twice, all delivered by the deadline.</summary>
    public bool Clean => Sent == Messages && Lost == 0 && Duplicates == 0 && Unexpected == 0 && OnTime;

    /// <summary>What went wrong, for a note: "12 lost, 3 duplicate(s), late (1.42 s)"; empty when clean.</summary>
    public string Problems() => string.Join(", ", new[]
    {
        Sent < Messages ? $"sender behind ({Sent:N0} of {Messages:N0} sent)" : "",
        Lost > 0 ? $"{Lost:N0} lost" : "",
        Duplicates > 0 ? $"{Duplicates:N0} duplicate(s)" : "",
        Unexpected > 0 ? $"{Unexpected:N0} unexpected" : "",
        !OnTime && Lost == 0 ? $"late ({Took.TotalSeconds:0.00} s for {Messages / Rate:0.00} s of sends)" : "",
    }.Where(p => p.Length > 0));

    /// <summary>
    /// Sends messages <paramref name="first"/>..first+messages-1 at <paramref name="rate"/> per second through
    /// <paramref name="send"/>, with a tracker handed to the subscribers by <paramref name="use"/> for the run;
    /// on time means delivered within the sends' duration plus <paramref name="grace"/>. After the deadline it waits
    /// up to <paramref name="settle"/> more, so that a late delivery is not counted as lost.
    /// </summary>
    public static async Task<PacedRun> RunAsync(int first, int messages, int subscribers, double rate, TimeSpan grace, TimeSpan settle,
        bool latencies, Action<DeliveryTracker?> use, Func<int, ValueTask> send, CancellationToken cancellationToken)
    {
        var recorder = latencies ? new LatencyRecorder(messages * subscribers) : null;
        using var tracker = new DeliveryTracker(messages, subscribers, 1, recorder, first);
        use(tracker);
        try
        {
            var deadline = TimeSpan.FromSeconds(messages / rate) + grace;
            var start = Stopwatch.GetTimestamp();
            var sent = await Pacer.RunAsync(messages, rate, deadline, i =>
            {
                tracker.Sent(first + i);
                return send(first + i);
            }, cancellationToken);
            var left = deadline - Stopwatch.GetElapsedTime(start);
            var onTime = await tracker.WaitAllAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            if (!onTime) await tracker.WaitAllAsync(settle);
            var took = Stopwatch.GetElapsedTime(start, Math.Max(start, tracker.LastDeliveryAt));
            return new PacedRun(rate, messages, sent, tracker.Lost, tracker.Duplicates, tracker.Unexpected, onTime, took,
                recorder?.Percentiles(99)[0] ?? double.NaN);
        }
        finally
        {
            use(null);
        }
    }
}
