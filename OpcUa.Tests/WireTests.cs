using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.OpcUa.Tests.Infrastructure;

namespace MqttIoT.OpcUa.Tests;

/// <summary>What the client puts on the wire: identity tokens, the session nonce, the channel's goodbye, publish faults.</summary>
public class WireTests(OpcUaServerFixture fixture) : IClassFixture<OpcUaServerFixture>
{
    private static CancellationToken Deadline(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public void The_anonymous_token_names_the_PolicyId_of_the_endpoint_s_anonymous_policy()
    {
        var endpoint = new EndpointDescription("opc.tcp://127.0.0.1:4840", null, 1, "http://opcfoundation.org/UA/SecurityPolicy#None",
            [new UserTokenPolicy("u1", UserTokenType.UserName, null), new UserTokenPolicy("a0", UserTokenType.Anonymous, null)]);
        var e = new BinaryEncoder();
        IdentityTokens.Write(e, UserIdentity.Anonymous, endpoint, null, null);

        var token = new BinaryDecoder(e.ToArray()).ReadExtensionObject();
        token.TypeId.Should().Be(new NodeId(EncodingIds.AnonymousIdentityToken));
        new BinaryDecoder(token.Body!).ReadString().Should().Be("a0", "the PolicyId comes from the endpoint, not a guess");

        var noAnonymous = endpoint with { UserIdentityTokens = [new UserTokenPolicy("u1", UserTokenType.UserName, null)] };
        var refused = () => IdentityTokens.Write(new BinaryEncoder(), UserIdentity.Anonymous, noAnonymous, null, null);
        refused.Should().Throw<OpcUaException>().Which.Status.Code.Should().Be(StatusCodes.BadIdentityTokenRejected);
    }

    [Fact]
    public async Task CreateSession_sends_a_32_byte_nonce_and_closing_sends_CLO_last()
    {
        await using var relay = new RecordingRelay(fixture.EndpointUrl);
        var session = await OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = relay.EndpointUrl }, cancellationToken: Deadline());
        await session.CloseAsync(Deadline());
        await session.DisposeAsync();
        await relay.ClientClosed.WaitAsync(TimeSpan.FromSeconds(20));

        var sent = relay.Sent;
        sent.Select(c => c.Type).Should().StartWith(["HEL", "OPN"]).And.EndWith("CLO");
        var create = sent.Where(c => c.Type == "MSG").Select(c => new BinaryDecoder(c.Body[SecureChannelHeader..]))
            .First(d => d.ReadNodeId() == new NodeId(EncodingIds.CreateSessionRequest));
        SkipRequestHeader(create);
        EndpointDescription.SkipApplicationDescription(create); // ClientDescription
        create.ReadString(); // ServerUri
        create.ReadString(); // EndpointUrl
        create.ReadString(); // SessionName
        var nonce = create.ReadByteString();
        nonce.Should().HaveCount(32);
        nonce.Should().NotBeEquivalentTo(new byte[32], "the nonce is random");

        var close = new BinaryDecoder(sent[^1].Body[SecureChannelHeader..]);
        close.ReadNodeId().Should().Be(new NodeId(EncodingIds.CloseSecureChannelRequest));
    }

    [Theory]
    [InlineData(StatusCodes.BadTooManyPublishRequests, 1, 2, 1, true)] // the only one out was refused: one more goes
    [InlineData(StatusCodes.BadTooManyPublishRequests, 5, 5, 4, true)]
    [InlineData(StatusCodes.BadNoSubscription, 2, 2, 2, true)] // the pump sends nothing if no subscription is left
    [InlineData(StatusCodes.BadTimeout, 1, 0, 1, true)]
    [InlineData(StatusCodes.BadSessionIdInvalid, 2, 2, 2, false)]
    public void After_a_publish_fault_the_loop_keeps_at_least_one_request(uint status, int outstanding, int target, int expectedTarget, bool again)
    {
        OpcUaSession.AfterPublishFault(status, outstanding, target).Should().Be((expectedTarget, again));
    }

    /// <summary>Channel id, token id, sequence number, request id.</summary>
    private const int SecureChannelHeader = 16;

    private static void SkipRequestHeader(BinaryDecoder d)
    {
        d.ReadNodeId(); // AuthenticationToken
        d.ReadDateTime();
        d.ReadUInt32(); // RequestHandle
        d.ReadUInt32(); // ReturnDiagnostics
        d.ReadString(); // AuditEntryId
        d.ReadUInt32(); // TimeoutHint
        d.ReadExtensionObject(); // AdditionalHeader
    }
}
