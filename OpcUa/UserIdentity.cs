using System.Security.Cryptography.X509Certificates;

namespace MqttIoT.OpcUa;

/// <summary>Who a session acts for: anonymous, a user name and password, or an X.509 user certificate.</summary>
public sealed class UserIdentity
{
    private UserIdentity(string? userName, string? password, X509Certificate2? certificate = null)
    {
        UserName = userName;
        Password = password;
        Certificate = certificate;
    }

    /// <summary>A user certificate with its private key, which signs the server's certificate and nonce to prove it.</summary>
    public static UserIdentity FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey) throw new ArgumentException("the user certificate needs its private key", nameof(certificate));
        return new UserIdentity(null, null, certificate);
    }

    /// <summary>The user certificate, null unless the identity is one.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>No user.</summary>
    public static UserIdentity Anonymous { get; } = new(null, null);

    /// <summary>A user name and password.</summary>
    public static UserIdentity FromUserName(string userName, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentNullException.ThrowIfNull(password);
        return new UserIdentity(userName, password);
    }

    /// <summary>The user name, null when anonymous.</summary>
    public string? UserName { get; }

    /// <summary>The password, null when anonymous.</summary>
    public string? Password { get; }

    /// <summary>Whether this is the anonymous identity.</summary>
    public bool IsAnonymous => UserName is null && Certificate is null;

    /// <inheritdoc />
    public override string ToString() => Certificate is { } c ? $"certificate '{c.Subject}'" : IsAnonymous ? "anonymous" : $"user '{UserName}'";
}
