using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Security;

namespace MqttIoT.OpcUa.Services;

/// <summary>
/// Builds the user identity token of ActivateSession (OPC 10000-4 §7.41) from the policies of the endpoint in use.
/// A password goes in the clear only when its token policy (or, when it names none, the endpoint's) is None;
/// otherwise it is encrypted for the server's certificate as §7.41.2.2 says (the legacy secret format: length,
/// password, server nonce, RSA-OAEP with the policy's hash), which servers also ask for on None endpoints to keep
/// passwords off the wire. A user certificate signs the server's certificate and nonce with its own key.
/// </summary>
internal static class IdentityTokens
{
    /// <summary>Writes the token; returns the user token signature an X.509 identity needs (null for the others).</summary>
    public static (string Algorithm, byte[] Signature)? Write(BinaryEncoder e, UserIdentity identity, EndpointDescription endpoint, byte[]? serverCertificate,
        byte[]? serverNonce)
    {
        if (identity.Certificate is { } userCertificate) return WriteCertificate(e, userCertificate, endpoint, serverCertificate, serverNonce);
        if (identity.IsAnonymous)
        {
            var policy = endpoint.UserIdentityTokens.FirstOrDefault(p => p.TokenType == UserTokenType.Anonymous)
                ?? throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "the endpoint does not accept anonymous users");
            e.WriteExtensionObject(new NodeId(EncodingIds.AnonymousIdentityToken), b => b.WriteString(policy.PolicyId));
            return null;
        }

        var candidates = endpoint.UserIdentityTokens.Where(p => p.TokenType == UserTokenType.UserName).ToList();
        if (candidates.Count == 0) throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "the endpoint does not accept user names");
        // Prefer a policy this client can satisfy without encryption, then one whose encryption it knows.
        var chosen = candidates.FirstOrDefault(p => Effective(p.SecurityPolicyUri, endpoint)?.IsNone == true)
            ?? candidates.FirstOrDefault(p => Effective(p.SecurityPolicyUri, endpoint) is not null)
            ?? throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected,
                $"no user name policy this client can encrypt for ({string.Join(", ", candidates.Select(c => c.SecurityPolicyUri))})");

        var password = System.Text.Encoding.UTF8.GetBytes(identity.Password ?? "");
        string? algorithm = null;
        var tokenPolicy = Effective(chosen.SecurityPolicyUri, endpoint)!;
        if (!tokenPolicy.IsNone)
        {
            using var cert = CertificateChecks.Load(endpoint.ServerCertificate is { Length: > 0 } ? endpoint.ServerCertificate : serverCertificate);
            using var rsa = cert.GetRSAPublicKey() ?? throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the server certificate has no RSA key");
            password = Encrypt(password, serverNonce ?? [], rsa, tokenPolicy);
            algorithm = tokenPolicy.AsymmetricEncryptionUri;
        }
        e.WriteExtensionObject(new NodeId(EncodingIds.UserNameIdentityToken), b =>
        {
            b.WriteString(chosen.PolicyId);
            b.WriteString(identity.UserName);
            b.WriteByteString(password);
            b.WriteString(algorithm);
        });
        return null;
    }

    /// <summary>
    /// X509IdentityToken: the user certificate, and the user token signature, which signs the server certificate and
    /// the server nonce with the user's key, by the token policy's (or else the endpoint's) asymmetric signature.
    /// </summary>
    private static (string, byte[]) WriteCertificate(BinaryEncoder e, X509Certificate2 user, EndpointDescription endpoint, byte[]? serverCertificate,
        byte[]? serverNonce)
    {
        var chosen = endpoint.UserIdentityTokens.FirstOrDefault(p => p.TokenType == UserTokenType.Certificate)
            ?? throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "the endpoint does not accept user certificates");
        var policy = Effective(chosen.SecurityPolicyUri, endpoint);
        if (policy is null || policy.IsNone)
            throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"a user certificate must sign with a security policy, and the endpoint's is {endpoint.SecurityPolicyUri}");
        using var key = user.GetRSAPrivateKey() ?? throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the user certificate has no RSA private key");
        var signature = policy.Sign(key, [.. CertificateChecks.FirstCertificate(serverCertificate ?? endpoint.ServerCertificate ?? []), .. serverNonce ?? []]);
        e.WriteExtensionObject(new NodeId(EncodingIds.X509IdentityToken), b =>
        {
            b.WriteString(chosen.PolicyId);
            b.WriteByteString(user.RawData);
        });
        return (policy.AsymmetricSignatureUri, signature);
    }

    /// <summary>The token policy's security policy, or the endpoint's when it names none; null when this client does not speak it.</summary>
    private static SecurityPolicy? Effective(string? tokenPolicy, EndpointDescription endpoint) =>
        SecurityPolicy.Find(string.IsNullOrEmpty(tokenPolicy) ? endpoint.SecurityPolicyUri : tokenPolicy) ?? (string.IsNullOrEmpty(tokenPolicy)
            && string.IsNullOrEmpty(endpoint.SecurityPolicyUri) ? SecurityPolicy.None : null);

    /// <summary>UInt32 length of (password + nonce), password, nonce; RSA-encrypted block by block (the legacy secret format).</summary>
    internal static byte[] Encrypt(byte[] password, byte[] serverNonce, RSA key, SecurityPolicy policy)
    {
        var plain = new BinaryEncoder();
        plain.WriteUInt32((uint)(password.Length + serverNonce.Length));
        plain.WriteRaw(password);
        plain.WriteRaw(serverNonce);
        return policy.Encrypt(key, plain.ToArray());
    }
}
