using System.Diagnostics;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.OpcUa.Testing;
using MqttIoT.OpcUa.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MqttIoT.OpcUa.Tests;

/// <summary>The client against a real node-opcua server: session, attribute, view and method services.</summary>
public class SessionTests(OpcUaServerFixture fixture, ITestOutputHelper output) : IClassFixture<OpcUaServerFixture>
{
    private static readonly NodeId Bulk = NodeId.Parse("ns=1;s=Bulk");
    private static readonly NodeId Blob = NodeId.Parse("ns=1;s=Bulk.Blob");
    private static readonly NodeId Setpoint = NodeId.Parse("ns=1;s=Boiler1.Setpoint");
    private static readonly NodeId Boiler1 = NodeId.Parse("ns=1;s=Boiler1");

    private Task<OpcUaSession> ConnectAsync(Action<OpcUaClientOptions>? configure = null)
    {
        var options = new OpcUaClientOptions { EndpointUrl = fixture.EndpointUrl };
        configure?.Invoke(options);
        return OpcUaSession.ConnectAsync(options, cancellationToken: Deadline());
    }

    private static CancellationToken Deadline(int seconds = 15) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task An_anonymous_session_reads_the_server_clock_and_measures_the_round_trip()
    {
        await using var session = await ConnectAsync();
        session.Endpoint!.SecurityPolicyUri.Should().EndWith("#None");
        var now = await session.ReadValueAsync(WellKnownNodes.ServerCurrentTime, Deadline());
        now.Value.Type.Should().Be(BuiltInType.DateTime);
        ((DateTime)now.Value.Value!).Should().BeCloseTo(DateTime.UtcNow, TimeSpan.FromSeconds(5));

        // The round trip is logged, never asserted: this machine's load is not the client's doing.
        const int rounds = 200;
        var times = new double[rounds];
        for (int i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            var read = await session.ReadValueAsync(Setpoint, Deadline());
            times[i] = watch.Elapsed.TotalMilliseconds;
            read.StatusCode.IsGood.Should().BeTrue();
            read.Value.Type.Should().Be(BuiltInType.Int32);
        }
        Array.Sort(times);
        output.WriteLine($"Read round trip over {rounds} reads: median {times[rounds / 2]:0.00} ms, p95 {times[rounds * 95 / 100]:0.00} ms, max {times[^1]:0.00} ms");
    }

    [Fact]
    public async Task User_and_password_activate_and_a_wrong_password_is_refused_with_a_readable_error()
    {
        await using (var session = await ConnectAsync(o => o.Identity = UserIdentity.FromUserName("operator", "secret")))
            (await session.ReadValueAsync(Setpoint, Deadline())).Value.Type.Should().Be(BuiltInType.Int32);

        var wrong = () => ConnectAsync(o => o.Identity = UserIdentity.FromUserName("operator", "nope"));
        var error = (await wrong.Should().ThrowAsync<OpcUaException>()).Which;
        error.Status.IsBad.Should().BeTrue();
        error.Message.Should().Contain("ActivateSession").And.Contain("Bad");
    }

    [Fact]
    public async Task Browsing_300_references_needs_BrowseNext_and_BrowseAll_follows_it()
    {
        await using var session = await ConnectAsync();
        var first = (await session.BrowseAsync([new BrowseDescription(Bulk)], 100, Deadline()))[0];
        first.References.Should().HaveCount(100);
        first.ContinuationPoint.Should().NotBeNull("300 tags do not fit in 100 references");
        var next = (await session.BrowseNextAsync([first.ContinuationPoint!], false, Deadline()))[0];
        next.References.Should().HaveCount(100);
        await session.BrowseNextAsync([next.ContinuationPoint!], true, Deadline());

        var watch = Stopwatch.StartNew();
        var all = await session.BrowseAllAsync(new BrowseDescription(Bulk, NodeClassMask: NodeClass.Variable), 100, Deadline());
        all.Select(r => r.BrowseName.Name).Should().Contain(["Tag000", "Tag299", "Blob"]).And.HaveCount(301);
        var plant = await session.BrowseAllAsync(new BrowseDescription(NodeId.Parse("ns=1;s=Plant")), 100, Deadline());
        var children = await session.BrowseAllAsync(plant.Select(p => new BrowseDescription(p.NodeId.NodeId)).ToList(), 100, Deadline());
        output.WriteLine($"Browsing Bulk (301 refs) and the Plant tree ({plant.Count} objects, {children.Sum(c => c.Count)} refs) took {watch.Elapsed.TotalMilliseconds:0.0} ms");
        plant.Select(p => p.BrowseName.Name).Should().BeEquivalentTo("Boiler1", "Boiler2", "Pump1", "Bulk");
    }

    [Fact]
    public async Task Messages_over_the_buffer_size_travel_in_chunks_both_ways()
    {
        await using var session = await ConnectAsync(o => { o.ReceiveBufferSize = 8192; o.SendBufferSize = 8192; });
        session.Limits.SendChunkSize.Should().Be(8192);
        var read = await session.ReadValueAsync(Blob, Deadline());
        var blob = (byte[])read.Value.Value!;
        blob.Should().HaveCount(40000).And.Equal(Enumerable.Range(0, 40000).Select(i => (byte)(i % 251)));

        var replacement = Enumerable.Range(0, 40000).Select(i => (byte)(255 - i % 199)).ToArray();
        var status = await session.WriteAsync([new WriteValue(Blob, DataValue.Of(new Variant(BuiltInType.ByteString, replacement)))], Deadline());
        status[0].IsGood.Should().BeTrue(status[0].Describe());
        ((byte[])(await session.ReadValueAsync(Blob, Deadline())).Value.Value!).Should().Equal(replacement);
        await session.WriteAsync([new WriteValue(Blob, DataValue.Of(new Variant(BuiltInType.ByteString, blob)))], Deadline());
    }

    [Fact]
    public async Task Writes_convert_to_the_variable_type_and_a_wrong_type_gets_BadTypeMismatch()
    {
        await using var session = await ConnectAsync();
        var writer = new VariableWriter(session);
        await writer.WriteAsync(Setpoint, 23.0, Deadline()); // a double that is a whole number converts to the Int32
        (await session.ReadValueAsync(Setpoint, Deadline())).Value.Should().Be(new Variant(BuiltInType.Int32, 23));
        writer.CachedTypes.Should().Be(1);

        var local = () => writer.WriteAsync(Setpoint, "warm", Deadline());
        (await local.Should().ThrowAsync<OpcUaException>()).Which.Status.Code.Should().Be(StatusCodes.BadTypeMismatch);

        // Sent as is, the server refuses it with the same code.
        var status = await session.WriteAsync([new WriteValue(Setpoint, DataValue.Of(new Variant(BuiltInType.String, "warm")))], Deadline());
        status[0].Code.Should().Be(StatusCodes.BadTypeMismatch);
        await writer.WriteAsync(Setpoint, 20, Deadline());
    }

    [Fact]
    public async Task An_unknown_node_reads_as_BadNodeIdUnknown_with_a_readable_message()
    {
        await using var session = await ConnectAsync();
        var nope = NodeId.Parse("ns=1;s=Nope");
        (await session.ReadAsync([new ReadValueId(nope)], 0, TimestampsToReturn.Both, Deadline()))[0].StatusCode.Code
            .Should().Be(StatusCodes.BadNodeIdUnknown);
        var act = () => session.ReadValueAsync(nope, Deadline());
        (await act.Should().ThrowAsync<OpcUaException>()).WithMessage("reading ns=1;s=Nope: BadNodeIdUnknown*does not exist*");
        (await session.BrowseAsync([new BrowseDescription(nope)], 0, Deadline()))[0].StatusCode.Code.Should().Be(StatusCodes.BadNodeIdUnknown);
    }

    [Fact]
    public async Task Methods_are_called_with_arguments_and_return_outputs()
    {
        await using var session = await ConnectAsync();
        var outputs = await session.CallMethodAsync(NodeId.Parse("ns=1;s=Boiler2"), NodeId.Parse("ns=1;s=Boiler2.SetTime"),
            [new Variant(BuiltInType.DateTime, DateTime.UtcNow)], Deadline());
        outputs.Should().ContainSingle().Which.Type.Should().Be(BuiltInType.Double);
        await session.CallMethodAsync(Boiler1, NodeId.Parse("ns=1;s=Boiler1.Reset"), [], Deadline());
        var missing = () => session.CallMethodAsync(Boiler1, NodeId.Parse("ns=1;s=Boiler1.Explode"), [], Deadline());
        (await missing.Should().ThrowAsync<OpcUaException>()).Which.Status.IsBad.Should().BeTrue();
    }

    [Fact]
    public async Task The_secure_channel_token_is_renewed_at_three_quarters_of_the_lifetime_the_server_granted()
    {
        // The renewal timers are read off the channel's own clock: when each was set, for how long, when it fired.
        var time = new RecordingTimeProvider();
        await using var session = await OpcUaSession.ConnectAsync(
            new OpcUaClientOptions { EndpointUrl = fixture.EndpointUrl, SecureChannelLifetime = TimeSpan.FromSeconds(1) }, timeProvider: time,
            cancellationToken: Deadline());
        var lifetime = session.SecureChannelLifetime;
        output.WriteLine($"lifetime granted: {lifetime.TotalMilliseconds} ms");
        await Wait.UntilAsync(() => session.SecureChannelRenewals >= 2, "two token renewals", lifetime * 10 + TimeSpan.FromSeconds(20));

        // One-shot timers shorter than the lifetime are the renewals (request timeouts are the operation timeout, 15 s).
        var renewals = time.Timers.Where(t => t.Period == Timeout.InfiniteTimeSpan && t.Due < lifetime).ToList();
        renewals.Should().HaveCountGreaterThanOrEqualTo(2, "one renewal is set when the channel opens and one after each renewal");
        foreach (var timer in renewals)
        {
            (timer.Due / lifetime).Should().BeInRange(0.6, 0.9, "the token is renewed at 75% of its lifetime");
            if (timer.FirstFiredAt is not { } fired) continue;
            var after = time.GetElapsedTime(timer.CreatedAt, fired);
            output.WriteLine($"renewal set for {timer.Due.TotalMilliseconds} ms, fired after {after.TotalMilliseconds:0} ms");
            (after / lifetime).Should().BeGreaterThanOrEqualTo(0.6, "not renewed early");
        }
        (await session.ReadValueAsync(Setpoint, Deadline())).StatusCode.IsGood.Should().BeTrue("the renewed token is the one requests go with");
    }

    [Fact]
    public async Task An_ERR_answer_to_HEL_becomes_an_exception_with_its_code_and_reason()
    {
        // The one peer here that is not node-opcua: a loopback listener that answers HEL the way a server that
        // refuses the connection does, which node-opcua cannot be made to do on demand.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            await stream.ReadAtLeastAsync(new byte[8], 8);
            var e = new BinaryEncoder();
            e.WriteRaw("ERRF"u8);
            e.WriteUInt32(0);
            e.WriteUInt32(StatusCodes.BadTcpEndpointUrlInvalid);
            e.WriteString("no such endpoint");
            var bytes = e.ToArray();
            BitConverter.TryWriteBytes(bytes.AsSpan(4), (uint)bytes.Length);
            await stream.WriteAsync(bytes);
        });
        var act = () => OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = $"opc.tcp://127.0.0.1:{port}/x" }, cancellationToken: Deadline());
        var error = (await act.Should().ThrowAsync<OpcUaException>()).Which;
        error.Status.Code.Should().Be(StatusCodes.BadTcpEndpointUrlInvalid);
        error.Message.Should().Contain("no such endpoint");
        await serve;
    }

    [Fact]
    public async Task Nothing_listening_is_a_readable_connection_error()
    {
        var port = MqttIoT.Tests.Infrastructure.FreePort.Next();
        var act = () => OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = $"opc.tcp://127.0.0.1:{port}" }, cancellationToken: Deadline());
        (await act.Should().ThrowAsync<OpcUaException>()).Which.Status.Code.Should().Be(StatusCodes.BadConnectionRejected);
    }
}
