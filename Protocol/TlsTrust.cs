using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MqttIoT.Protocol;

/// <summary>
/// Verifies a broker's certificate against one CA of our own (a development CA, a plant's private CA) instead of
/// the machine's store: the chain must end at that CA and the certificate must name the host we dialled.
/// </summary>
internal static class TlsTrust
{
    public static bool Verify(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 authority)
    {
        if (certificate is null) return false;
        // The name check does not depend on the trust store: a certificate for another host is never accepted.
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA publishes no revocation lists
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    public static X509Certificate2 LoadAuthority(string path) => X509CertificateLoader.LoadCertificateFromFile(path);

    /// <summary>A certificate with its private key from two PEM files, in the form SslStream accepts on every platform.</summary>
    public static X509Certificate2 LoadWithKey(string certificateFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
