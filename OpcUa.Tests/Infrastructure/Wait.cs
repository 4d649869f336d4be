using System.Diagnostics;

namespace MqttIoT.OpcUa.Tests.Infrastructure;

/// <summary>
/// Every wait in these tests has a deadline: a condition that does not come true fails the test instead of hanging
/// it. (The end-to-end suite has its own in Tests/Infrastructure/Deadline.cs; this project does not reference it.)
/// </summary>
public static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    /// <summary>Polls a condition that has no event of its own (a counter), failing at the deadline.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Default;
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit) throw new TimeoutException($"{what}: not true within {limit.TotalSeconds} s");
            await Task.Delay(20);
        }
    }
}
