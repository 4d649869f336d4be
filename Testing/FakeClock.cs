using Microsoft.Extensions.Time.Testing;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>Driving a <see cref="FakeTimeProvider"/> from a test.</summary>
public static class FakeClock
{
    /// <summary>
    /// Moves the fake clock on by <paramref name="step"/> until <paramref name="condition"/> holds, failing at the
    /// real deadline. For code that waits on the clock (a backoff, a deadline) at a moment the test cannot see: each
    /// step fires whatever timer the code has made by then, however late it made it.
    /// </summary>
    public static Task AdvanceUntilAsync(this FakeTimeProvider time, Func<bool> condition, TimeSpan step, string what, TimeSpan? timeout = null) =>
        Deadline.UntilAsync(() =>
        {
            if (condition()) return true;
            time.Advance(step);
            return condition();
        }, what, timeout);
}
