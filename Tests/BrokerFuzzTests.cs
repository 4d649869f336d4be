using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// Hostile packets against the broker host (a child process, so that a crash or its memory can be seen): many
/// connections at once send mutated CONNECT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE and AUTH packets (bad lengths,
/// truncated varints, duplicate properties, invalid UTF-8 in topics, oversize packets), with a fixed seed, for a
/// bounded time and count. Meanwhile a control requester and responder do request/response through the broker.
/// The broker must stay up, answer only with reason codes the spec has for the packet it answers, keep the control
/// clients served and connected, and keep its memory bounded.
/// </summary>
public class BrokerFuzzTests
{
    private const int Seed = 19;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(4);
    private const int AtOnce = 64;
    private const int MaxConnections = 4000;
    private const long MemoryGrowthLimit = 256L << 20;

    // Reason codes a server may send (MQTT v5 3.2.2.2 and 3.14.2.1).
    private static readonly HashSet<byte> ConnAckCodes = [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F];
    private static readonly HashSet<byte> DisconnectCodes = [0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2];

    [Fact]
    public async Task Mutated_packets_from_many_connections_close_only_the_offenders_and_leave_the_broker_serving()
    {
        var port = FreePort.Next();
        var data = Directory.CreateTempSubdirectory("mqttiot-fuzz-").FullName;
        await using var broker = HostProcess.StartBroker(port, data);
        await broker.WaitUntilListeningAsync(port);
        var memoryBefore = ProcessMemory.ResidentBytes(broker.Id);

        var (responder, _) = await WireClient.ConnectAsync("127.0.0.1", port, new WireConnect { ClientId = "fuzz-responder" });
        await responder.SubscribeAsync("fuzz/ctl/req");
        var (requester, _) = await WireClient.ConnectAsync("127.0.0.1", port, new WireConnect { ClientId = "fuzz-requester" });
        await requester.SubscribeAsync("fuzz/ctl/resp");
        using var stop = new CancellationTokenSource();
        var answering = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var request = await responder.ReceivePublishAsync(Deadline.Default);
                await responder.PublishAsync(request.StringProperty(WireProp.ResponseTopic)!, request.Payload, qos: 1,
                    properties: [(WireProp.CorrelationData, (byte[])request.Property(WireProp.CorrelationData)!)]);
            }
        });

        var clock = Stopwatch.StartNew();
        var started = 0;
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<Outcome>();
        var workers = Enumerable.Range(0, AtOnce).Select(worker => Task.Run(async () =>
        {
            var random = new Random(Seed * 1000 + worker);
            while (clock.Elapsed < TimeLimit && Interlocked.Increment(ref started) <= MaxConnections)
                outcomes.Add(await FuzzOneAsync(port, random));
        })).ToList();

        // The control pair's request/response goes on throughout, one round trip at a time.
        var roundTrips = 0;
        long memoryPeak = 0;
        while (workers.Any(w => !w.IsCompleted))
        {
            await RoundTripAsync(requester, roundTrips++);
            memoryPeak = Math.Max(memoryPeak, ProcessMemory.ResidentBytes(broker.Id));
        }
        await Task.WhenAll(workers);
        await RoundTripAsync(requester, roundTrips++);
        memoryPeak = Math.Max(memoryPeak, ProcessMemory.ResidentBytes(broker.Id));
        stop.Cancel();

        broker.HasExited.Should().BeFalse("hostile packets must not bring the broker down");
        outcomes.Should().HaveCountGreaterThan(100, "the fuzzing ran for {0} s with {1} connections at once", TimeLimit.TotalSeconds, AtOnce);
        roundTrips.Should().BeGreaterThan(3);
        requester.Closed.IsCompleted.Should().BeFalse("the well-behaved requester stays connected");
        responder.Closed.IsCompleted.Should().BeFalse("the well-behaved responder stays connected");
        outcomes.SelectMany(o => o.ConnAckCodes).Should().OnlyContain(c => ConnAckCodes.Contains(c), "a CONNACK carries a reason code of 3.2.2.2");
        outcomes.SelectMany(o => o.DisconnectCodes).Should().OnlyContain(c => DisconnectCodes.Contains(c), "a DISCONNECT carries a reason code of 3.14.2.1");
        outcomes.Where(o => o.Case == "oversize").Should().OnlyContain(o => o.Closed, "a packet larger than the broker's maximum closes its connection");
        outcomes.Where(o => o.Case == "alias-zero").Should().OnlyContain(o => o.DisconnectCodes.SequenceEqual(new byte[] { 0x94 }), "[MQTT-3.3.2-8] gets 0x94");
        (memoryPeak - memoryBefore).Should().BeLessThan(MemoryGrowthLimit, "the broker's memory stays bounded (before {0} MB)", memoryBefore >> 20);
        Console.WriteLine($"fuzz: {outcomes.Count} connections in {clock.Elapsed.TotalSeconds:F1} s, {roundTrips} control round trips, "
            + $"memory {memoryBefore >> 20} MB before, {memoryPeak >> 20} MB at most; cases: "
            + string.Join(", ", outcomes.GroupBy(o => o.Case).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));

        await requester.DisposeAsync();
        await responder.DisposeAsync();
        try { await answering; } catch (Exception ex) when (ex is TimeoutException or EndOfStreamException or IOException or ObjectDisposedException) { }
        try { Directory.Delete(data, recursive: true); } catch (IOException) { }
    }

    private static async Task RoundTripAsync(WireClient requester, int n)
    {
        var correlation = Encoding.UTF8.GetBytes(n.ToString(CultureInfo.InvariantCulture));
        await requester.PublishAsync("fuzz/ctl/req", correlation, qos: 1,
            properties: [(WireProp.ResponseTopic, "fuzz/ctl/resp"), (WireProp.CorrelationData, correlation)]);
        var response = await requester.ReceivePublishAsync(TimeSpan.FromSeconds(10));
        response.Payload.Should().Equal(correlation, "round trip {0} got its own answer", n);
    }

    private sealed record Outcome(string Case, List<byte> ConnAckCodes, List<byte> DisconnectCodes, bool Closed);

    /// <summary>One connection: a case picked by the seeded generator, its packets sent, what the broker answers read until it closes or 0.5 s.</summary>
    private static async Task<Outcome> FuzzOneAsync(int port, Random random)
    {
        var (name, packets) = Case(random);
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port, Deadline.Token());
        var stream = tcp.GetStream();
        var connAcks = new List<byte>();
        var disconnects = new List<byte>();
        var closed = false;
        try
        {
            foreach (var p in packets) await stream.WriteAsync(p, Deadline.Token());
            var received = new MemoryStream();
            var buffer = new byte[4096];
            using var listen = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            while (true)
            {
                int read;
                try { read = await stream.ReadAsync(buffer, listen.Token); }
                catch (OperationCanceledException) { break; }
                if (read == 0) { closed = true; break; }
                received.Write(buffer, 0, read);
            }
            Parse(received.ToArray(), connAcks, disconnects);
        }
        catch (IOException) { closed = true; } // reset by the broker
        return new Outcome(name, connAcks, disconnects, closed);
    }

    private static void Parse(byte[] bytes, List<byte> connAcks, List<byte> disconnects)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            var type = bytes[i++] >> 4;
            int length = 0, shift = 0;
            while (i < bytes.Length)
            {
                var b = bytes[i++];
                length |= (b & 0x7F) << shift;
                shift += 7;
                if ((b & 0x80) == 0) break;
            }
            if (i + length > bytes.Length) return;
            if (type == 2 && length >= 2) connAcks.Add(bytes[i + 1]);
            if (type == 14) disconnects.Add(length > 0 ? bytes[i] : (byte)0);
            i += length;
        }
    }

    private static (string Name, List<byte[]> Packets) Case(Random random)
    {
        var connect = new WireConnect { ClientId = "fuzz-" + random.Next(1_000_000) }.Encode();
        byte[] publish = WirePackets.Publish("fuzz/" + random.Next(100), RandomBytes(random, random.Next(0, 64)), qos: random.Next(3), packetId: 1,
            properties: [(WireProp.MessageExpiry, 60u), (WireProp.ContentType, "text/plain"), (WireProp.UserProperty, ("k", "v"))]);
        var subscribe = WirePackets.Subscribe(2, [new WireSubscription("fuzz/#", random.Next(3))], subscriptionId: 7);
        var unsubscribe = WirePackets.Unsubscribe(3, "fuzz/#", "fuzz/+");
        var auth = Auth();
        var target = random.Next(5);
        var template = target switch { 0 => connect, 1 => publish, 2 => subscribe, 3 => unsubscribe, _ => auth };
        var mutation = random.Next(8);
        var (name, mutated) = mutation switch
        {
            0 => ("flip", Flip(template, random)),
            1 => ("truncate", template[..Math.Max(1, random.Next(template.Length))]),
            2 => ("wrong-length", WrongLength(template, random)),
            3 => ("truncated-varint", [template[0], 0xFF, 0xFF, 0xFF, 0xFF]),
            4 => ("duplicate-property", DuplicateProperty(template)),
            5 => ("bad-utf8", BadUtf8(template)),
            6 => ("oversize", Oversize(template[0])),
            _ => ("alias-zero", WirePackets.Publish("fuzz/alias", [1], properties: [(WireProp.TopicAlias, (ushort)0)])),
        };
        // An oversize header is refused whatever comes before it; a mutated CONNECT goes alone; anything else after a valid CONNECT.
        List<byte[]> packets = target == 0 && mutation != 7 ? [mutated] : [connect, mutated];
        return ($"{name}", packets);
    }

    private static byte[] Auth()
    {
        var w = new WireWriter();
        w.Byte(0x18);
        WireProp.Write(w, [(WireProp.AuthMethod, "SCRAM-SHA-1"), (WireProp.AuthData, new byte[] { 1, 2, 3 })]);
        return WireWriter.Frame(0xF0, w);
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var b = new byte[count];
        random.NextBytes(b);
        return b;
    }

    private static byte[] Flip(byte[] packet, Random random)
    {
        var copy = (byte[])packet.Clone();
        for (var n = random.Next(1, 4); n > 0; n--) copy[random.Next(1, copy.Length)] ^= (byte)random.Next(1, 256);
        return copy;
    }

    /// <summary>The same body under a Remaining Length that is a few bytes off either way.</summary>
    private static byte[] WrongLength(byte[] packet, Random random)
    {
        var (bodyStart, length) = Body(packet);
        var w = new WireWriter();
        w.Bytes(packet.AsSpan(bodyStart));
        var header = new WireWriter();
        header.Byte(packet[0]);
        header.VarInt(Math.Max(0, length + random.Next(-3, 4)));
        header.Bytes(w.ToArray());
        return header.ToArray();
    }

    /// <summary>The packet with its first property repeated (a Protocol Error for every property but User Property and Subscription Identifier in PUBLISH).</summary>
    private static byte[] DuplicateProperty(byte[] packet)
    {
        var text = Convert.ToHexString(packet);
        // Find the properties by re-encoding: the templates put a Message Expiry (02), Subscription Identifier (0B) or Auth Method (15) first.
        foreach (var marker in (string[])["020000003C", "0B07", "15000B"])
        {
            var at = text.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0 || at % 2 != 0) continue;
            var size = marker switch { "0B07" => 2, "15000B" => 14, _ => 5 };
            var duplicate = packet.AsSpan(at / 2, size).ToArray();
            var (bodyStart, _) = Body(packet);
            // Property length sits right before the first property: one byte in these templates.
            var body = new List<byte>(packet[bodyStart..(at / 2)]);
            body[^1] = (byte)(body[^1] + size);
            body.AddRange(duplicate);
            body.AddRange(packet[(at / 2)..]);
            var w = new WireWriter();
            w.Bytes(body.ToArray());
            return WireWriter.Frame(packet[0], w);
        }
        return Flip(packet, new Random(Seed));
    }

    /// <summary>A topic or filter with an invalid UTF-8 sequence (an overlong NUL, [MQTT-1.5.4-1]) in place of "fuzz".</summary>
    private static byte[] BadUtf8(byte[] packet)
    {
        var at = packet.AsSpan().IndexOf("fuzz"u8);
        if (at < 0) return Flip(packet, new Random(Seed));
        var copy = (byte[])packet.Clone();
        copy[at] = 0xC0;
        copy[at + 1] = 0x80;
        copy[at + 2] = 0xFF;
        return copy;
    }

    /// <summary>A header that claims 200 MB, followed by a little of it.</summary>
    private static byte[] Oversize(byte type)
    {
        var w = new WireWriter();
        w.Byte(type);
        w.VarInt(200 << 20);
        w.Bytes(new byte[64]);
        return w.ToArray();
    }

    private static (int BodyStart, int Length) Body(byte[] packet)
    {
        int i = 1, length = 0, shift = 0;
        while (true)
        {
            var b = packet[i++];
            length |= (b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0) return (i, length);
        }
    }
}
