using System.Security.Cryptography.X509Certificates;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Security;
using MqttIoT.OpcUa.Services;
using MqttIoT.OpcUa.Testing;
using MqttIoT.OpcUa.Tests.Infrastructure;

namespace MqttIoT.OpcUa.Tests;

/// <summary>
/// Secured channels against node-opcua: every policy in Sign and SignAndEncrypt, the application certificate and
/// the PKI folder, server certificate trust, passwords over an encrypted channel, token renewal under encryption.
/// </summary>
public sealed class SecurityTests(OpcUaServerFixture fixture) : IClassFixture<OpcUaServerFixture>, IDisposable
{
    private static readonly NodeId Setpoint = NodeId.Parse("ns=1;s=Boiler1.Setpoint");
    private readonly string _pki = Directory.CreateTempSubdirectory("mqttiot-pki-").FullName;

    public void Dispose() => Directory.Delete(_pki, recursive: true);

    private static CancellationToken Deadline(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private OpcUaClientOptions Options(string? policy, MessageSecurityMode? mode, Action<OpcUaClientOptions>? configure = null)
    {
        var options = new OpcUaClientOptions { EndpointUrl = fixture.EndpointUrl, SecurityPolicy = policy, SecurityMode = mode, PkiPath = _pki };
        configure?.Invoke(options);
        return options;
    }

    private void TrustServer()
    {
        var store = new CertificateStore(_pki);
        using var server = X509CertificateLoader.LoadCertificate(OpcUaTestServer.Certificate);
        store.Trust(server);
    }

    [Theory]
    [InlineData("Basic256Sha256", MessageSecurityMode.Sign)]
    [InlineData("Basic256Sha256", MessageSecurityMode.SignAndEncrypt)]
    [InlineData("Aes128_Sha256_RsaOaep", MessageSecurityMode.Sign)]
    [InlineData("Aes128_Sha256_RsaOaep", MessageSecurityMode.SignAndEncrypt)]
    [InlineData("Aes256_Sha256_RsaPss", MessageSecurityMode.Sign)]
    [InlineData("Aes256_Sha256_RsaPss", MessageSecurityMode.SignAndEncrypt)]
    public async Task Each_policy_in_each_mode_reads_writes_and_moves_a_chunked_value(string policy, MessageSecurityMode mode)
    {
        TrustServer();
        await using var session = await OpcUaSession.ConnectAsync(Options(policy, mode), cancellationToken: Deadline());
        session.SecurityPolicy.Name.Should().Be(policy);
        session.SecurityMode.Should().Be(mode);
        session.Endpoint!.SecurityPolicyUri.Should().EndWith("#" + policy);

        var value = new Random().Next(1000, 9999);
        (await session.WriteAsync([new WriteValue(Setpoint, DataValue.Of(new Variant(BuiltInType.Int32, value)))], Deadline()))[0].IsGood.Should().BeTrue();
        (await session.ReadValueAsync(Setpoint, Deadline())).Value.Value.Should().Be(value);
        // 40,000 bytes: several chunks each way, each signed (and encrypted) on its own.
        var blob = await session.ReadValueAsync(NodeId.Parse("ns=1;s=Bulk.Blob"), Deadline());
        ((byte[])blob.Value.Value!).Should().HaveCount(40000).And.Equal(Enumerable.Range(0, 40000).Select(i => (byte)(i % 251)));
    }

    [Fact]
    public async Task The_application_certificate_is_created_on_first_start_with_the_application_uri_and_kept()
    {
        TrustServer();
        await using (await OpcUaSession.ConnectAsync(Options("Basic256Sha256", MessageSecurityMode.SignAndEncrypt), cancellationToken: Deadline())) { }
        var certificates = Directory.GetFiles(Path.Combine(_pki, "own", "certs"));
        certificates.Should().ContainSingle();
        Directory.GetFiles(Path.Combine(_pki, "own", "private")).Should().ContainSingle();
        using var own = X509CertificateLoader.LoadCertificate(File.ReadAllBytes(certificates[0]));
        CertificateChecks.ApplicationUris(own).Should().Contain(new OpcUaClientOptions().ApplicationUri);
        own.GetRSAPublicKey()!.KeySize.Should().Be(2048);

        await using (await OpcUaSession.ConnectAsync(Options("Basic256Sha256", MessageSecurityMode.SignAndEncrypt), cancellationToken: Deadline())) { }
        File.ReadAllBytes(Directory.GetFiles(Path.Combine(_pki, "own", "certs")).Single()).Should().Equal(own.RawData, "the second start uses the certificate the first made");
    }

    [Fact]
    public async Task An_untrusted_server_certificate_is_refused_and_copied_to_rejected_then_accepted_once_trusted()
    {
        var refused = () => OpcUaSession.ConnectAsync(Options("Basic256Sha256", MessageSecurityMode.SignAndEncrypt), cancellationToken: Deadline());
        var error = (await refused.Should().ThrowAsync<OpcUaException>()).Which;
        error.Status.Code.Should().Be(StatusCodes.BadCertificateUntrusted);
        error.Message.Should().Contain("BadCertificateUntrusted").And.Contain("rejected");
        var rejected = Directory.GetFiles(Path.Combine(_pki, "rejected", "certs")).Should().ContainSingle().Subject;
        File.ReadAllBytes(rejected).Should().Equal(OpcUaTestServer.Certificate);

        // The operator trusts it by moving it from rejected/ to trusted/.
        File.Move(rejected, Path.Combine(_pki, "trusted", "certs", Path.GetFileName(rejected)));
        await using var session = await OpcUaSession.ConnectAsync(Options("Basic256Sha256", MessageSecurityMode.SignAndEncrypt), cancellationToken: Deadline());
        (await session.ReadValueAsync(Setpoint, Deadline())).StatusCode.IsGood.Should().BeTrue();
    }

    [Fact]
    public async Task Trust_on_first_use_is_explicit_and_stores_the_certificate_in_trusted()
    {
        await using (await OpcUaSession.ConnectAsync(Options("Basic256Sha256", MessageSecurityMode.Sign, o => o.TrustServerCertificateOnFirstUse = true),
            cancellationToken: Deadline())) { }
        File.ReadAllBytes(Directory.GetFiles(Path.Combine(_pki, "trusted", "certs")).Should().ContainSingle().Subject).Should().Equal(OpcUaTestServer.Certificate);
        Directory.GetFiles(Path.Combine(_pki, "rejected", "certs")).Should().BeEmpty();
    }

    [Fact]
    public async Task Without_a_configured_policy_the_most_secure_endpoint_is_chosen()
    {
        TrustServer();
        await using var session = await OpcUaSession.ConnectAsync(Options(null, null), cancellationToken: Deadline());
        session.SecurityMode.Should().Be(MessageSecurityMode.SignAndEncrypt);
        session.SecurityPolicy.IsNone.Should().BeFalse();
    }

    [Fact]
    public async Task User_and_password_activate_over_an_encrypted_channel_and_a_wrong_password_is_refused()
    {
        TrustServer();
        await using (var session = await OpcUaSession.ConnectAsync(Options("Aes256_Sha256_RsaPss", MessageSecurityMode.SignAndEncrypt,
            o => o.Identity = UserIdentity.FromUserName("operator", "secret")), cancellationToken: Deadline()))
            (await session.ReadValueAsync(Setpoint, Deadline())).StatusCode.IsGood.Should().BeTrue();

        var wrong = () => OpcUaSession.ConnectAsync(Options("Basic256Sha256", MessageSecurityMode.SignAndEncrypt,
            o => o.Identity = UserIdentity.FromUserName("operator", "nope")), cancellationToken: Deadline());
        var error = (await wrong.Should().ThrowAsync<OpcUaException>()).Which;
        error.Message.Should().Contain("ActivateSession").And.Contain("Bad");
    }

    [Fact]
    public async Task An_X509_user_certificate_activates_the_session_with_its_token_signature()
    {
        TrustServer();
        using var user = CertificateStore.Create("urn:test:user:alice", TimeProvider.System, TimeSpan.FromDays(30), commonName: "alice");
        await using var session = await OpcUaSession.ConnectAsync(Options("Basic256Sha256", MessageSecurityMode.SignAndEncrypt,
            o => o.Identity = UserIdentity.FromCertificate(user)), cancellationToken: Deadline());
        (await session.ReadValueAsync(Setpoint, Deadline())).StatusCode.IsGood.Should().BeTrue();
        session.Endpoint!.UserIdentityTokens.Should().Contain(p => p.TokenType == UserTokenType.Certificate);
    }

    [Fact]
    public async Task The_token_is_renewed_under_encryption_with_new_keys_and_the_channel_keeps_working()
    {
        TrustServer();
        await using var session = await OpcUaSession.ConnectAsync(Options("Basic256Sha256", MessageSecurityMode.SignAndEncrypt,
            o => o.SecureChannelLifetime = TimeSpan.FromSeconds(1)), cancellationToken: Deadline());
        await Wait.UntilAsync(() => session.SecureChannelRenewals >= 2, "two token renewals", TimeSpan.FromSeconds(30));
        (await session.ReadValueAsync(Setpoint, Deadline())).StatusCode.IsGood.Should().BeTrue();
        session.IsConnected.Should().BeTrue();
    }

    [Fact]
    public async Task A_server_offering_no_acceptable_endpoint_is_refused_naming_the_status_and_what_it_offers()
    {
        await using var secureOnly = await OpcUaTestServer.StartAsync("--secure-only");
        // With None asked for, the server's own CreateSession check or our endpoint choice refuses it.
        var none = () => OpcUaSession.ConnectAsync(new OpcUaClientOptions { EndpointUrl = secureOnly.EndpointUrl, PkiPath = _pki }, cancellationToken: Deadline());
        var error = (await none.Should().ThrowAsync<OpcUaException>()).Which;
        error.Status.IsBad.Should().BeTrue();
        error.Message.Should().Contain("Bad");

        var withPolicy = () => OpcUaSession.ConnectAsync(new OpcUaClientOptions
        {
            EndpointUrl = secureOnly.EndpointUrl, PkiPath = _pki, SecurityPolicy = "Basic256Sha256", SecurityMode = MessageSecurityMode.None,
        }, cancellationToken: Deadline());
        (await withPolicy.Should().ThrowAsync<ArgumentException>()).WithMessage("*does not go with*");

        var choice = () => EndpointSelector.Choose([], "Basic256Sha256", MessageSecurityMode.Sign);
        choice.Should().Throw<OpcUaException>().Which.Status.Code.Should().Be(StatusCodes.BadSecurityPolicyRejected);

        TrustServer();
        await using var session = await OpcUaSession.ConnectAsync(new OpcUaClientOptions
        {
            EndpointUrl = secureOnly.EndpointUrl, PkiPath = _pki, SecurityPolicy = null, SecurityMode = null,
        }, cancellationToken: Deadline());
        session.SecurityPolicy.IsNone.Should().BeFalse();
    }
}
