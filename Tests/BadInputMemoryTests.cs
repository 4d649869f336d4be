using System.Globalization;
using System.Text;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MqttIoT.Tests;

/// <summary>
/// Bad input in bulk against the gateway host as a process of its own, so its resident memory is its own: a second
/// burst as large as the first must not grow it, whatever the first left behind (queues, caches, pooled buffers).
/// </summary>
public class BadInputMemoryTests(ITestOutputHelper output)
{
    private const int Burst = 3_000;
    private const int Wave = 100;

    [Fact]
    public async Task Memory_stays_bounded_under_bursts_of_bad_input_and_the_gateway_goes_on_serving()
    {
        await using var env = await TestEnvironment.StartAsync(gateway: false, users: ["sim-8"]);
        var raw = await env.ConnectRawAsync();
        await raw.SubscribeAsync("iot/v1/stations/sim-8/availability");
        var (user, password) = env.GatewayCredentials("sim-8");
        await using var gateway = HostProcess.StartGateway("--port", HostProcess.Number(env.Port), "--station", "sim-8", "--devices", "3",
            "--username", user!, "--password", password!);
        await raw.NextAsync(m => Encoding.UTF8.GetString(m.Payload) == Wire.Online, TimeSpan.FromSeconds(30));
        var random = new Random(20261202);
        await BurstAsync(raw, random); // warms up every path: what is left after it is the working set
        var first = ResidentBytes(gateway.Id);
        await BurstAsync(raw, random);
        var second = ResidentBytes(gateway.Id);
        output.WriteLine($"gateway resident memory: {first / 1e6:0.0} MB after the first {Burst} bad requests, {second / 1e6:0.0} MB after the next {Burst}");

        // A leak that kept anything per bad request would keep far more than this: the 750 oversized bodies of a burst alone are ~56 MB.
        (second - first).Should().BeLessThan(32_000_000, "the second burst of bad input must not grow the gateway");
        var reply = await raw.RequestAsync("iot/v1/stations/sim-8/devices/dev-0001/requests/READ_VALUE", """{"key":"setpoint"}"""u8.ToArray());
        reply.UserProperty(Wire.StatusProperty).Should().Be(Wire.StatusOk);
        gateway.HasExited.Should().BeFalse();
    }

    /// <summary>Burst bad requests, a wave at a time, each answered BAD_REQUEST: oversized, random bytes, deep nesting, wrong types.</summary>
    private static async Task BurstAsync(RawClient raw, Random random)
    {
        for (var sent = 0; sent < Burst; sent += Wave)
        {
            var replies = Enumerable.Range(sent, Wave).Select(i =>
                raw.RequestAsync($"iot/v1/stations/sim-8/devices/dev-000{1 + i % 3}/requests/WRITE_VALUE", BadBody(i, random), timeout: TimeSpan.FromSeconds(60)));
            foreach (var reply in await Task.WhenAll(replies))
                reply.UserProperty(Wire.ErrorCodeProperty).Should().Be("BAD_REQUEST");
        }
    }

    private static byte[] BadBody(int i, Random random)
    {
        switch (i % 4)
        {
            case 0: // over the 64 KiB limit
                var big = new byte[70_000 + random.Next(10_000)];
                random.NextBytes(big);
                return big;
            case 1: // random bytes that are not JSON
                var noise = new byte[random.Next(1, 4096)];
                random.NextBytes(noise);
                noise[0] = 0xff;
                return noise;
            case 2: // nesting far deeper than the parser allows
                var depth = 1_000 + random.Next(1_000);
                return Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth));
            default: // the right shape, the wrong types
                return Encoding.UTF8.GetBytes($$"""{"key":{{random.Next()}},"text":[{{random.Next()}}]}""");
        }
    }

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
