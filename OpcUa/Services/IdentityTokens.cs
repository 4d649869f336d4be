using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Transport;

namespace MqttIoT.OpcUa.Services;

/// <summary>
/// Builds the user identity token of ActivateSession (OPC 10000-4 §7.41) from the policies of the endpoint in use.
/// A password goes in the clear only when its token policy has no security policy of its own (or None); otherwise it
/// is encrypted for the server's certificate as §7.41.2.2 says (the legacy secret format: length, password, server
/// nonce, RSA-OAEP), which is what servers ask for on SecurityPolicy None endpoints to keep passwords off the wire.
/// </summary>
internal static class IdentityTokens
{
    private const string RsaOaepSha1 = "http://www.w3.org/2001/04/xmlenc#rsa-oaep";
    private const string RsaOaepSha256 = "http://opcfoundation.org/UA/security/rsa-oaep-sha2-256";

    public static void Write(BinaryEncoder e, UserIdentity identity, EndpointDescription endpoint, byte[]? serverCertificate, byte[]? serverNonce)
    {
        if (identity.IsAnonymous)
        {
            var policy = endpoint.UserIdentityTokens.FirstOrDefault(p => p.TokenType == UserTokenType.Anonymous)
                ?? throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "the endpoint does not accept anonymous users");
            e.WriteExtensionObject(new NodeId(EncodingIds.AnonymousIdentityToken), b => b.WriteString(policy.PolicyId));
            return;
        }

        var candidates = endpoint.UserIdentityTokens.Where(p => p.TokenType == UserTokenType.UserName).ToList();
        if (candidates.Count == 0) throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "the endpoint does not accept user names");
        // Prefer a policy this client can satisfy without encryption, then one whose encryption it knows.
        var chosen = candidates.FirstOrDefault(p => IsPlain(p.SecurityPolicyUri, endpoint))
            ?? candidates.FirstOrDefault(p => PaddingOf(p.SecurityPolicyUri) is not null)
            ?? throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected,
                $"no user name policy this client can encrypt for ({string.Join(", ", candidates.Select(c => c.SecurityPolicyUri))})");

        var password = System.Text.Encoding.UTF8.GetBytes(identity.Password ?? "");
        string? algorithm = null;
        if (!IsPlain(chosen.SecurityPolicyUri, endpoint))
        {
            var (padding, uri) = PaddingOf(chosen.SecurityPolicyUri)!.Value;
            var certificate = endpoint.ServerCertificate is { Length: > 0 } ? endpoint.ServerCertificate : serverCertificate;
            if (certificate is not { Length: > 0 })
                throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the server sent no certificate to encrypt the password with");
            password = Encrypt(password, serverNonce ?? [], certificate, padding);
            algorithm = uri;
        }
        e.WriteExtensionObject(new NodeId(EncodingIds.UserNameIdentityToken), b =>
        {
            b.WriteString(chosen.PolicyId);
            b.WriteString(identity.UserName);
            b.WriteByteString(password);
            b.WriteString(algorithm);
        });
    }

    private static bool IsPlain(string? tokenPolicy, EndpointDescription endpoint)
    {
        var effective = string.IsNullOrEmpty(tokenPolicy) ? endpoint.SecurityPolicyUri : tokenPolicy;
        return string.IsNullOrEmpty(effective) || effective == SecureChannel.SecurityPolicyNone;
    }

    private static (RSAEncryptionPadding, string)? PaddingOf(string? policy) => policy switch
    {
        "http://opcfoundation.org/UA/SecurityPolicy#Basic256" or "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"
            or "http://opcfoundation.org/UA/SecurityPolicy#Aes128_Sha256_RsaOaep" => (RSAEncryptionPadding.OaepSHA1, RsaOaepSha1),
        "http://opcfoundation.org/UA/SecurityPolicy#Aes256_Sha256_RsaPss" => (RSAEncryptionPadding.OaepSHA256, RsaOaepSha256),
        _ => null,
    };

    /// <summary>UInt32 length of (password + nonce), password, nonce; RSA-encrypted block by block.</summary>
    internal static byte[] Encrypt(byte[] password, byte[] serverNonce, byte[] certificate, RSAEncryptionPadding padding)
    {
        using var cert = X509CertificateLoader.LoadCertificate(FirstCertificate(certificate));
        using var rsa = cert.GetRSAPublicKey() ?? throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the server certificate has no RSA key");
        var plain = new BinaryEncoder();
        plain.WriteUInt32((uint)(password.Length + serverNonce.Length));
        plain.WriteRaw(password);
        plain.WriteRaw(serverNonce);
        var data = plain.ToArray();
        int keyBytes = rsa.KeySize / 8;
        int hashBytes = padding == RSAEncryptionPadding.OaepSHA256 ? 32 : 20;
        int block = keyBytes - 2 * hashBytes - 2;
        var output = new List<byte>();
        for (int at = 0; at < data.Length; at += block)
            output.AddRange(rsa.Encrypt(data.AsSpan(at, Math.Min(block, data.Length - at)).ToArray(), padding));
        return [.. output];
    }

    /// <summary>The first DER certificate of a chain sent as concatenated certificates.</summary>
    private static byte[] FirstCertificate(byte[] der)
    {
        if (der.Length < 4 || der[0] != 0x30) return der;
        int length, header;
        if (der[1] < 0x80) { length = der[1]; header = 2; }
        else
        {
            int octets = der[1] & 0x7F;
            if (octets is 0 or > 4 || der.Length < 2 + octets) return der;
            length = 0;
            for (int i = 0; i < octets; i++) length = (length << 8) | der[2 + i];
            header = 2 + octets;
        }
        return header + length >= der.Length ? der : der[..(header + length)];
    }
}
