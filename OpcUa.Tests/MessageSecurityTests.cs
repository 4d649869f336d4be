using System.Buffers.Binary;
using System.Security.Cryptography.X509Certificates;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Security;

namespace MqttIoT.OpcUa.Tests;

/// <summary>
/// Server certificate checks and the checks on received secured chunks, with certificates made for each fault
/// (no real server can be made to present an expired or misused certificate on demand).
/// </summary>
public sealed class MessageSecurityTests : IDisposable
{
    private const string ServerUri = "urn:test:server";
    private readonly string _pki = Directory.CreateTempSubdirectory("mqttiot-pki-").FullName;

    public void Dispose() => Directory.Delete(_pki, recursive: true);

    private static X509Certificate2 Certificate(string uri = ServerUri, X509KeyUsageFlags? usage = null, TimeSpan? lifetime = null, DateTimeOffset? notBefore = null) =>
        CertificateStore.Create(uri, TimeProvider.System, lifetime ?? TimeSpan.FromDays(30), usage, "test server", notBefore: notBefore);

    [Fact]
    public void Expired_wrong_uri_and_wrong_key_usage_are_refused_with_their_status_and_a_clear_message()
    {
        var store = new CertificateStore(_pki);
        var now = DateTime.UtcNow;
        using var expired = Certificate(notBefore: DateTimeOffset.UtcNow.AddDays(-10), lifetime: TimeSpan.FromDays(2));
        using var otherUri = Certificate(uri: "urn:somebody:else");
        using var signOnly = Certificate(usage: X509KeyUsageFlags.DigitalSignature);
        foreach (var (certificate, status, text) in new[]
        {
            (expired, StatusCodes.BadCertificateTimeInvalid, "valid from"),
            (otherUri, StatusCodes.BadCertificateUriInvalid, "urn:somebody:else"),
            (signOnly, StatusCodes.BadCertificateUseNotAllowed, "KeyEncipherment"),
        })
        {
            // Trust-on-first-use does not let a faulty certificate through.
            var check = () => CertificateChecks.Validate(certificate, ServerUri, store, trustOnFirstUse: true, now);
            var error = check.Should().Throw<OpcUaException>().Which;
            error.Status.Code.Should().Be(status);
            error.Message.Should().Contain(new StatusCode(status).Name).And.Contain(text);
        }
        Directory.GetFiles(store.TrustedCerts).Should().BeEmpty();
    }

    [Fact]
    public void A_certificate_issued_by_a_trusted_authority_is_trusted_without_being_listed_itself()
    {
        var store = new CertificateStore(_pki);
        using var caKey = System.Security.Cryptography.RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Plant CA", caKey, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        using var serverKey = System.Security.Cryptography.RSA.Create(2048);
        var request = new CertificateRequest("CN=PLC", serverKey, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(ServerUri));
        request.CertificateExtensions.Add(san.Build());
        using var server = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30), [1, 2, 3, 4]);

        var untrusted = () => CertificateChecks.Validate(server, ServerUri, store, trustOnFirstUse: false, DateTime.UtcNow);
        untrusted.Should().Throw<OpcUaException>().Which.Status.Code.Should().Be(StatusCodes.BadCertificateUntrusted);
        store.Trust(ca);
        CertificateChecks.Validate(server, ServerUri, store, trustOnFirstUse: false, DateTime.UtcNow).Should().BeFalse("trusted through its CA, not newly trusted");
    }

    [Theory]
    [InlineData(MessageSecurityMode.Sign)]
    [InlineData(MessageSecurityMode.SignAndEncrypt)]
    public void A_tampered_truncated_or_foreign_token_chunk_is_refused_and_a_good_one_opens(MessageSecurityMode mode)
    {
        using var clientCertificate = Certificate("urn:test:client");
        using var serverCertificate = Certificate();
        // Two ends of one channel: the server's view installs the same nonces the other way round.
        using var client = new ChannelSecurity(SecurityPolicy.Basic256Sha256, mode, clientCertificate, serverCertificate);
        using var server = new ChannelSecurity(SecurityPolicy.Basic256Sha256, mode, serverCertificate, clientCertificate);
        var clientNonce = client.NewNonce();
        var serverNonce = server.NewNonce();
        client.InstallToken(5, clientNonce, serverNonce);
        server.InstallToken(5, serverNonce, clientNonce);

        var body = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var chunk = SecureChannel(body);
        var sent = client.ProtectSymmetric(chunk);
        BinaryPrimitives.ReadUInt32LittleEndian(sent.AsSpan(4)).Should().Be((uint)sent.Length);
        if (mode == MessageSecurityMode.SignAndEncrypt) sent.AsSpan(24).IndexOf(body.AsSpan(0, 64)).Should().Be(-1, "the body is encrypted");
        server.UnprotectSymmetric(sent.AsSpan(0, 8), sent[8..]).Should().Equal(chunk[8..]);

        var tampered = sent.ToArray();
        tampered[100] ^= 0x01;
        Refused(() => server.UnprotectSymmetric(tampered.AsSpan(0, 8), tampered[8..]), StatusCodes.BadSecurityChecksFailed);
        var truncated = sent[..(sent.Length - 5)];
        Refused(() => server.UnprotectSymmetric(truncated.AsSpan(0, 8), truncated[8..]), StatusCodes.BadSecurityChecksFailed);
        var foreign = sent.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(foreign.AsSpan(12), 99);
        Refused(() => server.UnprotectSymmetric(foreign.AsSpan(0, 8), foreign[8..]), StatusCodes.BadSecureChannelTokenUnknown);
    }

    [Fact]
    public void Key_derivation_follows_P_SHA256_of_RFC_5246()
    {
        // P_SHA256 is HMAC chaining; this checks the first block against HMAC-SHA256 computed by hand.
        var secret = "secret"u8.ToArray();
        var seed = "seed"u8.ToArray();
        static byte[] Hmac(byte[] key, byte[] data) => System.Security.Cryptography.HMACSHA256.HashData(key, data);
        var a1 = Hmac(secret, seed);
        var a2 = Hmac(secret, a1);
        var a3 = Hmac(secret, a2);
        byte[] expected = [.. Hmac(secret, [.. a1, .. seed]), .. Hmac(secret, [.. a2, .. seed]), .. Hmac(secret, [.. a3, .. seed]).Take(16)];
        SymmetricKeys.PSha256(secret, seed, 80).Should().Equal(expected);
    }

    private static void Refused(Action act, uint status) => act.Should().Throw<OpcUaException>().Which.Status.Code.Should().Be(status);

    /// <summary>An unprotected MSG chunk: header, channel 7, token 5, sequence 1, request 1, body.</summary>
    private static byte[] SecureChannel(byte[] body) =>
        Transport.SecureChannel.BuildChunks("MSG", 7, 5, () => 1, 1, body, 8192, 0)[0];
}
