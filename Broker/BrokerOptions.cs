using System.Net;

namespace MqttIoT.Broker;

/// <summary>Options of the embedded broker.</summary>
public sealed class BrokerOptions
{
    /// <summary>TCP port; 0 is not allowed (clients need to know it).</summary>
    public int Port { get; set; } = 1883;
    /// <summary>Address to listen on; loopback unless told otherwise.</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.Loopback;
    /// <summary>Folder for retained messages; null keeps them in memory only.</summary>
    public string? DataDirectory { get; set; }
    /// <summary>How often changed retained messages are written out.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Messages queued per client before the broker pushes back; large, so nothing is dropped under bursts.</summary>
    public int MaxPendingMessagesPerClient { get; set; } = 250_000;
    /// <summary>A second listener with TLS on this port (8883 by convention); null: none.</summary>
    public int? TlsPort { get; set; }
    /// <summary>PEM file of the broker's TLS certificate.</summary>
    public string? TlsCertificateFile { get; set; }
    /// <summary>PEM file of its private key.</summary>
    public string? TlsKeyFile { get; set; }
    /// <summary>
    /// PEM file of the CA whose certificates clients must present on the TLS listener (Mosquitto's
    /// <c>require_certificate true</c> with that <c>cafile</c>); null: the listener asks for none.
    /// </summary>
    public string? TlsClientCaFile { get; set; }
    /// <summary>A Mosquitto password file (mosquitto_passwd); null: no passwords are checked.</summary>
    public string? PasswordFile { get; set; }
    /// <summary>A Mosquitto ACL file; null: every client may publish and read everything.</summary>
    public string? AclFile { get; set; }
    /// <summary>Whether clients without a user name may connect (the demo's broker allows them).</summary>
    public bool AllowAnonymous { get; set; } = true;

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (Port is <= 0 or > 65535) throw new ArgumentException($"Port {Port} is out of range");
        if (TlsPort is { } tls && (tls is <= 0 or > 65535 || TlsCertificateFile is null || TlsKeyFile is null))
            throw new ArgumentException("a TLS port needs a port in range, TlsCertificateFile and TlsKeyFile");
        if (TlsClientCaFile is not null && TlsPort is null) throw new ArgumentException("TlsClientCaFile needs a TLS port");
        if (FlushInterval <= TimeSpan.Zero) throw new ArgumentException("FlushInterval must be positive");
        if (MaxPendingMessagesPerClient <= 0) throw new ArgumentException("MaxPendingMessagesPerClient must be positive");
    }
}
