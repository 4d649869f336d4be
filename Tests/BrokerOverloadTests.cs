using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// Overload of the broker host (a child process, so its memory and log can be read): a flood of connections and a
/// subscriber that never reads. Each is bounded in count and time; the broker's memory stays bounded, it says what
/// happens in one log line (by EventId), and a control request/response pair connected before goes on being served.
/// </summary>
public class BrokerOverloadTests
{
    private const long MemoryGrowthLimit = 256L << 20;

    [Fact]
    public async Task A_flood_of_connections_beyond_the_limit_is_refused_with_a_log_line_and_others_are_served()
    {
        const int limit = 500, flood = 2000;
        await using var host = await StartAsync("--max-connections", HostProcess.Number(limit));
        await using var control = await ControlPair.StartAsync(host.Port);
        var before = ProcessMemory.ResidentBytes(host.Process.Id);

        // Every flood connection sends CONNECT and waits for its CONNACK or its end; at most 200 dialling at once.
        using var gate = new SemaphoreSlim(200);
        var sockets = new System.Collections.Concurrent.ConcurrentBag<TcpClient>();
        var accepted = 0;
        await Task.WhenAll(Enumerable.Range(0, flood).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var tcp = new TcpClient { NoDelay = true };
                sockets.Add(tcp);
                await tcp.ConnectAsync("127.0.0.1", host.Port, Deadline.Token());
                var stream = tcp.GetStream();
                await stream.WriteAsync(new WireConnect { ClientId = $"flood-{i}", KeepAlive = 60 }.Encode(), Deadline.Token());
                var first = new byte[1];
                if (await stream.ReadAsync(first, Deadline.Token()) == 1 && first[0] == 0x20) Interlocked.Increment(ref accepted);
            }
            catch (Exception ex) when (ex is IOException or SocketException) { } // refused: closed at accept
            finally { gate.Release(); }
        }));
        await control.RoundTripAsync();
        var peak = ProcessMemory.ResidentBytes(host.Process.Id);
        foreach (var s in sockets) s.Dispose();

        accepted.Should().BeInRange(limit - 2 - 10, limit - 2, "{0} connections at most, two of them the control pair's", limit);
        host.Process.Output.Should().Contain(l => l.Contains("[4019]", StringComparison.Ordinal), "the refusal is logged");
        (peak - before).Should().BeLessThan(MemoryGrowthLimit);
        await control.RoundTripAsync();
    }

    [Fact]
    public async Task A_subscriber_that_never_reads_costs_a_bounded_queue_and_a_log_line()
    {
        const int queue = 1000, messages = 30_000;
        await using var host = await StartAsync("--max-queued", HostProcess.Number(queue));
        await using var control = await ControlPair.StartAsync(host.Port);
        var before = ProcessMemory.ResidentBytes(host.Process.Id);

        // The slow subscriber: CONNECT and SUBSCRIBE written, then nothing read ever again.
        using var slow = new TcpClient { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync("127.0.0.1", host.Port, Deadline.Token());
        await slow.GetStream().WriteAsync(new WireConnect { ClientId = "never-reads" }.Encode(), Deadline.Token());
        await slow.GetStream().WriteAsync(WirePackets.Subscribe(1, [new WireSubscription("overload/slow", 0)]), Deadline.Token());
        var (publisher, _) = await WireClient.ConnectAsync("127.0.0.1", host.Port, new WireConnect { ClientId = "slow-publisher" });
        // The SUBACK unread, the subscription is in place once a QoS 1 publish finds a subscriber.
        await Deadline.UntilAsync(async () => (await publisher.PublishAsync("overload/slow", "probe", qos: 1))!.ReasonCode == 0, "the slow subscriber subscribed");

        var payload = new byte[1024];
        for (var i = 0; i < messages; i++) await publisher.PublishAsync("overload/slow", payload, qos: i % 100 == 0 ? 1 : 0);
        await Deadline.UntilAsync(() => Task.FromResult(host.Process.Output.Any(l => l.Contains("[4004]", StringComparison.Ordinal))), "the dropping is logged");
        await control.RoundTripAsync();
        var peak = ProcessMemory.ResidentBytes(host.Process.Id);

        (peak - before).Should().BeLessThan(MemoryGrowthLimit, "at most {0} messages of 1 KiB wait for the subscriber", queue);
        await publisher.DisposeAsync();
    }

    private sealed class Host(HostProcess process, int port, string data) : IAsyncDisposable
    {
        public HostProcess Process => process;
        public int Port => port;

        public async ValueTask DisposeAsync()
        {
            await process.DisposeAsync();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<Host> StartAsync(params string[] extra)
    {
        var port = FreePort.Next();
        var data = Directory.CreateTempSubdirectory("mqttiot-overload-").FullName;
        var process = HostProcess.StartBroker(port, data, extra);
        await process.WaitUntilListeningAsync(port);
        return new Host(process, port, data);
    }

    /// <summary>A requester and a responder, connected before the overload: request/response through the broker.</summary>
    private sealed class ControlPair : IAsyncDisposable
    {
        private readonly WireClient _requester;
        private readonly WireClient _responder;
        private readonly Task _answering;
        private int _n;

        private ControlPair(WireClient requester, WireClient responder)
        {
            _requester = requester;
            _responder = responder;
            _answering = Task.Run(async () =>
            {
                while (true)
                {
                    WirePacket request;
                    try { request = await responder.ReceivePublishAsync(TimeSpan.FromMinutes(5)); }
                    catch (Exception ex) when (ex is EndOfStreamException or TimeoutException) { return; }
                    await responder.PublishAsync("overload/ctl/resp", request.Payload, qos: 1);
                }
            });
        }

        public static async Task<ControlPair> StartAsync(int port)
        {
            var (responder, _) = await WireClient.ConnectAsync("127.0.0.1", port, new WireConnect { ClientId = "ctl-responder" });
            await responder.SubscribeAsync("overload/ctl/req");
            var (requester, _) = await WireClient.ConnectAsync("127.0.0.1", port, new WireConnect { ClientId = "ctl-requester" });
            await requester.SubscribeAsync("overload/ctl/resp");
            return new ControlPair(requester, responder);
        }

        public async Task RoundTripAsync()
        {
            var body = Encoding.UTF8.GetBytes((_n++).ToString(CultureInfo.InvariantCulture));
            await _requester.PublishAsync("overload/ctl/req", body, qos: 1);
            (await _requester.ReceivePublishAsync(TimeSpan.FromSeconds(10))).Payload.Should().Equal(body);
        }

        public async ValueTask DisposeAsync()
        {
            await _requester.DisposeAsync();
            await _responder.DisposeAsync();
            await _answering;
        }
    }
}
