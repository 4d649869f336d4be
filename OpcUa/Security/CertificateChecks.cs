using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Security;

/// <summary>
/// Validates a server's application instance certificate (OPC 10000-4 §6.1.3): it must parse, be within its
/// validity period, name the server's application URI in its subject alternative name, allow signing and key
/// encipherment, and be trusted by the PKI folder (or be accepted on first use when the options say so). Each
/// refusal is an <see cref="OpcUaException"/> with the status the specification gives it.
/// </summary>
public static class CertificateChecks
{
    /// <summary>Loads the first certificate of a DER chain (servers may send their chain concatenated).</summary>
    public static X509Certificate2 Load(byte[]? der)
    {
        if (der is not { Length: > 0 }) throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the server sent no certificate");
        try { return X509CertificateLoader.LoadCertificate(FirstCertificate(der)); }
        catch (CryptographicException ex) { throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the server certificate does not parse", ex); }
    }

    /// <summary>
    /// Checks the server certificate. Unknown certificates are copied to rejected/certs and refused, unless
    /// <paramref name="trustOnFirstUse"/> copies them to trusted/certs instead. Returns true when it was trusted just now.
    /// </summary>
    public static bool Validate(X509Certificate2 certificate, string? serverApplicationUri, CertificateStore store, bool trustOnFirstUse, DateTime now)
    {
        var subject = certificate.Subject;
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
            throw new OpcUaException(StatusCodes.BadCertificateTimeInvalid,
                $"the server certificate '{subject}' is valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}, not now ({now:u})");
        if (!string.IsNullOrEmpty(serverApplicationUri) && !ApplicationUris(certificate).Contains(serverApplicationUri))
            throw new OpcUaException(StatusCodes.BadCertificateUriInvalid,
                $"the server certificate '{subject}' names [{string.Join(", ", ApplicationUris(certificate))}], not the server's application URI {serverApplicationUri}");
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault()?.KeyUsages;
        if (usage is { } u && (!u.HasFlag(X509KeyUsageFlags.DigitalSignature)
            || !(u.HasFlag(X509KeyUsageFlags.KeyEncipherment) || u.HasFlag(X509KeyUsageFlags.DataEncipherment))))
            throw new OpcUaException(StatusCodes.BadCertificateUseNotAllowed,
                $"the server certificate '{subject}' may be used for {u}, but an application certificate must allow DigitalSignature and KeyEncipherment");
        using (var rsa = certificate.GetRSAPublicKey())
            if (rsa is null || rsa.KeySize is < 2048 or > 4096)
                throw new OpcUaException(StatusCodes.BadCertificatePolicyCheckFailed,
                    $"the server certificate '{subject}' needs an RSA key of 2048 to 4096 bits{(rsa is null ? "" : $", not {rsa.KeySize}")}");
        if (store.IsTrusted(certificate, now)) return false;
        if (trustOnFirstUse)
        {
            store.Trust(certificate);
            return true;
        }
        var path = store.Reject(certificate);
        throw new OpcUaException(StatusCodes.BadCertificateUntrusted,
            $"the server certificate '{subject}' (thumbprint {certificate.Thumbprint}) is not trusted; it was copied to {path}: move it to {store.TrustedCerts} to trust it");
    }

    /// <summary>The URIs in the certificate's subject alternative name.</summary>
    public static IReadOnlyList<string> ApplicationUris(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != "2.5.29.17") continue;
            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                while (reader.HasData)
                {
                    var tag = reader.PeekTag();
                    // GeneralName uniformResourceIdentifier is [6] IA5String.
                    if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                        uris.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6)));
                    else reader.ReadEncodedValue();
                }
            }
            catch (AsnContentException)
            {
                // A malformed alternative name names nothing: the URI check then refuses the certificate.
            }
        }
        return uris;
    }

    /// <summary>The first DER certificate of certificates sent concatenated.</summary>
    public static byte[] FirstCertificate(byte[] der)
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
