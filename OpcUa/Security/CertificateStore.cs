using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MqttIoT.OpcUa.Security;

/// <summary>
/// A PKI folder laid out as other OPC UA stacks do: <c>own/certs</c> and <c>own/private</c> (this application's
/// certificate and key), <c>trusted/certs</c> (server certificates, or the CAs that issue them, trusted by the
/// operator), <c>issuers/certs</c> (CAs that complete a chain but are not trusted by themselves) and
/// <c>rejected/certs</c> (certificates refused, where an operator finds them to trust by moving them to trusted).
/// </summary>
public sealed class CertificateStore
{
    private const string OwnName = "mqttiot";
    private static readonly Lock FolderLock = new();

    /// <summary>Opens (and creates) the folder.</summary>
    public CertificateStore(string root)
    {
        Root = Path.GetFullPath(root);
        foreach (var folder in new[] { OwnCerts, OwnPrivate, TrustedCerts, IssuerCerts, RejectedCerts }) Directory.CreateDirectory(folder);
    }

    /// <summary>The PKI folder.</summary>
    public string Root { get; }

    /// <summary>This application's certificate (DER).</summary>
    public string OwnCerts => Path.Combine(Root, "own", "certs");

    /// <summary>This application's private key (PEM, PKCS#8).</summary>
    public string OwnPrivate => Path.Combine(Root, "own", "private");

    /// <summary>Trusted peer certificates and CAs.</summary>
    public string TrustedCerts => Path.Combine(Root, "trusted", "certs");

    /// <summary>CA certificates that complete chains.</summary>
    public string IssuerCerts => Path.Combine(Root, "issuers", "certs");

    /// <summary>Refused peer certificates.</summary>
    public string RejectedCerts => Path.Combine(Root, "rejected", "certs");

    /// <summary>
    /// The application instance certificate with its private key, created on first use (RSA 2048, SHA-256,
    /// self-signed, <paramref name="applicationUri"/> in the subject alternative name with the host name). A stored
    /// certificate for another application URI, or expired, is replaced.
    /// </summary>
    public X509Certificate2 GetOrCreateApplicationCertificate(string applicationUri, TimeProvider time, TimeSpan? lifetime = null)
    {
        var certPath = Path.Combine(OwnCerts, OwnName + ".der");
        var keyPath = Path.Combine(OwnPrivate, OwnName + ".pem");
        lock (FolderLock)
        {
            if (File.Exists(certPath) && File.Exists(keyPath))
            {
                var stored = X509CertificateLoader.LoadCertificate(File.ReadAllBytes(certPath));
                using var rsa = RSA.Create();
                rsa.ImportFromPem(File.ReadAllText(keyPath));
                var withKey = stored.CopyWithPrivateKey(rsa);
                stored.Dispose();
                var now = time.GetUtcNow().UtcDateTime;
                if (CertificateChecks.ApplicationUris(withKey).Contains(applicationUri) && withKey.NotAfter.ToUniversalTime() > now)
                    return withKey;
                withKey.Dispose();
            }
            var created = Create(applicationUri, time, lifetime ?? TimeSpan.FromDays(5 * 365));
            File.WriteAllBytes(certPath, created.RawData);
            using (var key = created.GetRSAPrivateKey()!)
            {
                File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
            }
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return created;
        }
    }

    /// <summary>A self-signed application certificate (also what tests use to make peers with given faults).</summary>
    public static X509Certificate2 Create(string applicationUri, TimeProvider time, TimeSpan lifetime, X509KeyUsageFlags? keyUsage = null,
        string? commonName = null, int keySize = 2048, DateTimeOffset? notBefore = null)
    {
        using var rsa = RSA.Create(keySize);
        var host = System.Net.Dns.GetHostName();
        var request = new CertificateRequest($"CN={commonName ?? "MqttIoT OPC UA client"}, O=MqttIoT, DC={host}", rsa, HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage ?? (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation
            | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment), true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // serverAuth, clientAuth
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(applicationUri));
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        var from = notBefore ?? time.GetUtcNow().AddDays(-1);
        return request.CreateSelfSigned(from, from + lifetime);
    }

    /// <summary>Whether the certificate is in trusted/certs, or chains to a CA there (through issuers/certs).</summary>
    public bool IsTrusted(X509Certificate2 certificate, DateTime now)
    {
        var trusted = Load(TrustedCerts);
        try
        {
            if (trusted.Any(t => t.RawData.AsSpan().SequenceEqual(certificate.RawData))) return true;
            var authorities = trusted.Where(IsAuthority).ToList();
            if (authorities.Count == 0) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities.ToArray());
            chain.ChainPolicy.ExtraStore.AddRange(Load(IssuerCerts).ToArray());
            // Revocation lists are not kept in this folder yet: chains are checked for trust and time only.
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now;
            return chain.Build(certificate);
        }
        finally
        {
            foreach (var t in trusted) t.Dispose();
        }
    }

    /// <summary>Copies a certificate into trusted/certs.</summary>
    public string Trust(X509Certificate2 certificate) => Save(TrustedCerts, certificate);

    /// <summary>Copies a certificate into rejected/certs, where an operator finds it to trust.</summary>
    public string Reject(X509Certificate2 certificate) => Save(RejectedCerts, certificate);

    /// <summary>The file name a peer certificate is stored under: its common name and thumbprint.</summary>
    public static string FileName(X509Certificate2 certificate)
    {
        var cn = certificate.GetNameInfo(X509NameType.SimpleName, false);
        var safe = new string([.. (string.IsNullOrEmpty(cn) ? "certificate" : cn).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);
        return $"{safe} [{certificate.Thumbprint}].der";
    }

    private static string Save(string folder, X509Certificate2 certificate)
    {
        var path = Path.Combine(folder, FileName(certificate));
        lock (FolderLock) File.WriteAllBytes(path, certificate.RawData);
        return path;
    }

    private static bool IsAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    private static List<X509Certificate2> Load(string folder)
    {
        var list = new List<X509Certificate2>();
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            try { list.Add(X509CertificateLoader.LoadCertificate(File.ReadAllBytes(file))); }
            catch (CryptographicException)
            {
                // Not a DER certificate (a note, a PEM file, a CRL): the trust list is what parses.
            }
        }
        return list;
    }
}
