using Microsoft.Extensions.Time.Testing;
using MqttIoT.Protocol;

namespace MqttIoT.Tests;

/// <summary>The one backoff every retry loop uses: doubling from the minimum to the cap, jitter within its bound, waits on the injected clock.</summary>
public class BackoffTests
{
    [Fact]
    public void Delays_double_up_to_the_cap_with_bounded_jitter_and_reset_to_the_minimum()
    {
        var backoff = new Backoff(new BackoffOptions { MinDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(700), Jitter = 0.2 },
            random: new Random(7));
        var bases = new List<double>();
        for (int i = 0; i < 6; i++)
        {
            var current = backoff.Current;
            bases.Add(current.TotalMilliseconds);
            var delay = backoff.Next();
            delay.Should().BeGreaterThanOrEqualTo(current).And.BeLessThanOrEqualTo(current * 1.2);
        }
        bases.Should().Equal(100, 200, 400, 700, 700, 700);
        backoff.Attempts.Should().Be(6);
        backoff.Reset();
        backoff.Current.Should().Be(TimeSpan.FromMilliseconds(100));
        backoff.Attempts.Should().Be(0);
    }

    [Fact]
    public async Task A_wait_ends_when_the_clock_passes_the_delay_and_not_before()
    {
        var clock = new FakeTimeProvider();
        var backoff = new Backoff(new BackoffOptions { MinDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(10), Jitter = 0 }, clock);
        var wait = backoff.DelayAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(9.9));
        wait.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(0.1));
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(0, 100, 0.2)]
    [InlineData(200, 100, 0.2)]
    [InlineData(100, 200, 1.5)]
    public void Options_that_cannot_work_are_refused(int minMs, int maxMs, double jitter)
    {
        var create = () => new Backoff(new BackoffOptions { MinDelay = TimeSpan.FromMilliseconds(minMs), MaxDelay = TimeSpan.FromMilliseconds(maxMs), Jitter = jitter });
        create.Should().Throw<ArgumentException>();
    }
}
