using System.Security.Cryptography.X509Certificates;

namespace MqttIoT.Broker;

/// <summary>Checks the certificate a client presents on the TLS listener against the one CA the broker was given.</summary>
internal static class ClientCertificates
{
    /// <summary>
    /// True when <paramref name="presented"/> chains to <paramref name="authority"/> alone (not to the machine's store) and
    /// may be used for client authentication. The operating system's verdict is ignored: it knows nothing of a private CA.
    /// </summary>
    public static bool IsIssuedBy(X509Certificate? presented, X509Certificate2 authority)
    {
        if (presented is null) return false;
        using var leaf = new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA publishes no revocation lists
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // clientAuth
        return chain.Build(leaf);
    }
}
