using MqttIoT.Protocol;
using MqttIoT.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MqttIoT.Tests;

/// <summary>The reconnecting MQTT v5 session under the Sdk, the gateway and the hub.</summary>
public class SessionTests
{
    [Fact]
    public async Task A_reconnect_whose_restore_fails_is_tried_again_until_the_session_is_whole()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false);
        var (user, password) = env.ClientCredentials;
        var time = new FakeTimeProvider();
        await using var session = new MqttSession(new MqttSessionOptions
        {
            Port = env.Port, Username = user, Password = password,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        }, env.LoggerFactory.CreateLogger<SessionTests>(), time);
        var calls = 0;
        // What the gateway does on a reconnect (republish its state) fails once, as a timed-out publish would.
        session.Connected = (isReconnect, _) =>
            Interlocked.Increment(ref calls) == 2 ? throw new TimeoutException("republish timed out") : Task.CompletedTask;
        await session.StartAsync(Deadline.Token());

        await session.DropConnectionAsync();
        // Each try after a failed one waits out the backoff on the session's clock.
        await time.AdvanceUntilAsync(() => Volatile.Read(ref calls) >= 3 && session.IsConnected, TimeSpan.FromMilliseconds(50),
            $"a third connect restores the session (restores so far: {Volatile.Read(ref calls)})");
        env.Logs.Count(LogEvents.SessionReconnectFailed, e => e.Value("Error") == "republish timed out").Should().Be(1, "the failed restore is logged once, as a failed reconnect");
    }
}
