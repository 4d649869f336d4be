namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// The highest rate a path delivers with nothing lost: open-loop steps (<see cref="PacedRun"/>) starting from 0.8x
/// the closed-loop rate, each 1.25 times the last, until the first step that is not clean (a loss, a
/// duplicate, or deliveries behind the step's deadline). A first step that is not clean steps down instead, until
/// one is. A step's deadline is its sends' duration plus a quarter of it (at least 100 ms). Every step is bounded in
/// messages and time, and so is the number of steps (7, up to 3x the closed-loop rate; 4 in quick mode).
/// </summary>
public sealed record RateLadder(double CleanRate, IReadOnlyList<PacedRun> Steps, int NextSequence)
{
    private const double Factor = 1.25;
    private const double StartFraction = 0.8;

    /// <summary>The step that ended the climb (the first one that was not clean), if any.</summary>
    public PacedRun? Failed => Steps.LastOrDefault(s => !s.Clean);

    /// <summary>The steps ran out on a clean one: the clean rate is only a lower bound.</summary>
    public bool Capped => Steps.Count > 0 && Steps[^1].Clean;

    /// <summary>A note: "clean to 1,234 msg/s (5 steps; at 1,543: 12 lost)", or "(7 steps, top step clean: a lower bound)".</summary>
    public string Describe(string unit) =>
        (CleanRate > 0 ? $"clean to {CleanRate:N0} {unit}" : "no clean step") + $" ({Steps.Count} steps" +
        (Failed is { } f ? $"; at {f.Rate:N0}: {f.Problems()}" : "") + (Capped ? ", top step clean: a lower bound" : "") + ")";

    /// <summary>
    /// Climbs from <paramref name="closedLoopRate"/> x 0.8 (messages/s at the sender). Sequence numbers start at
    /// <paramref name="firstSequence"/> and never repeat across steps, so a straggler of one step is never counted in another.
    /// </summary>
    public static async Task<RateLadder> ClimbAsync(double closedLoopRate, int subscribers, bool quick, int firstSequence,
        Action<DeliveryTracker?> use, Func<int, ValueTask> send, CancellationToken cancellationToken)
    {
        // Short steps keep the full run under 5 minutes (12 ladders for notifications, 24 for the brokers).
        var stepTime = TimeSpan.FromSeconds(quick ? 0.15 : 0.3);
        var maxSteps = quick ? 4 : 7;
        var settle = TimeSpan.FromSeconds(0.5);
        int minMessages = quick ? 20 : 50, maxMessages = quick ? 2_000 : 40_000;
        var rate = Math.Max(1, closedLoopRate * StartFraction);
        var steps = new List<PacedRun>();
        double clean = 0;
        var sequence = firstSequence;
        while (steps.Count < maxSteps)
        {
            var messages = (int)Math.Clamp(rate * stepTime.TotalSeconds, minMessages, maxMessages);
            var grace = TimeSpan.FromMilliseconds(Math.Max(100, 0.25 * messages / rate * 1000));
            var step = await PacedRun.RunAsync(sequence, messages, subscribers, rate, grace, settle, false, use, send, cancellationToken);
            sequence += messages;
            steps.Add(step);
            if (step.Clean)
            {
                clean = rate;
                rate *= Factor;
            }
            else if (clean > 0) break;
            else rate /= Factor;
        }
        return new RateLadder(clean, steps, sequence);
    }
}
