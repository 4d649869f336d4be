using System.ComponentModel.DataAnnotations;
using System.Net;

namespace MqttIoT.Broker;

/// <summary>Options of the embedded broker.</summary>
public sealed class BrokerOptions
{
    /// <summary>TCP port; 0 is not allowed (clients need to know it).</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 1883;
    /// <summary>
    /// The addresses the broker listens on, the plain and the TLS listener alike, and no other: each IPv4 or IPv6
    /// address gets a listener of its own (<c>0.0.0.0</c> or <c>::</c> only when given). 127.0.0.1 unless told otherwise.
    /// </summary>
    public IList<IPAddress> BindAddresses { get; set; } = [IPAddress.Loopback];
    /// <summary>One address to listen on (sets <see cref="BindAddresses"/> to it alone); the first of them.</summary>
    public IPAddress BindAddress
    {
        get => BindAddresses[0];
        set => BindAddresses = [value];
    }
    /// <summary>Folder for retained messages and persistent sessions; null keeps them in memory only.</summary>
    public string? DataDirectory { get; set; }
    /// <summary>
    /// Whether persistent sessions (subscriptions, unacknowledged QoS 1/2 messages) are kept in
    /// <see cref="DataDirectory"/> across restarts and crashes. On by default; off, they last as long as the process.
    /// </summary>
    public bool PersistSessions { get; set; } = true;
    /// <summary>How often changed retained messages are written out.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Messages queued per client before the broker pushes back; large, so nothing is dropped under bursts.</summary>
    [Range(1, int.MaxValue)]
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
    /// <summary>
    /// The longest keep alive a v5 client gets (whole seconds, 1 s to 65535 s). A client that asks for none (0) or
    /// for more is told this value as Server Keep Alive in CONNACK (3.2.2.3.14) and is disconnected after 1.5 times it
    /// without a packet. 300 s: long enough for battery clients, short enough that a vanished one is noticed.
    /// </summary>
    public TimeSpan MaxKeepAlive { get; set; } = TimeSpan.FromSeconds(300);
    /// <summary>
    /// The broker's Receive Maximum (3.2.2.3.3, 1 to 65535): unacknowledged QoS 1 and 2 PUBLISH packets a v5 client may
    /// have in flight towards the broker; one more gets DISCONNECT 0x93. 65535 by default, because MQTTnet's client
    /// (the gateway's and the Sdk's) does not hold back for a server's Receive Maximum.
    /// </summary>
    [Range(1, 65535)]
    public int ReceiveMaximum { get; set; } = 65535;

    /// <summary>
    /// The largest packet a client may send, in bytes (announced as Maximum Packet Size in a v5 CONNACK, 3.2.2.3.6); a
    /// larger one closes the connection before its body is read. 16 MiB by default: MQTTnet would otherwise allocate a
    /// buffer of whatever size a packet's header claims, up to 256 MB, for any connection, before CONNECT.
    /// </summary>
    public int MaxPacketSize { get; set; } = 16 * 1024 * 1024;
    /// <summary>Connections open at once on all listeners; one more is closed at once, with a log line. 50,000 by default.</summary>
    public int MaxConnections { get; set; } = 50_000;

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (Port is <= 0 or > 65535) throw new ArgumentException($"Port {Port} is out of range");
        if (BindAddresses.Count == 0) throw new ArgumentException("BindAddresses needs at least one address");
        if (BindAddresses.Any(a => a.AddressFamily is not (System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6)))
            throw new ArgumentException("BindAddresses takes IPv4 and IPv6 addresses only");
        if (TlsPort is { } tls && (tls is <= 0 or > 65535 || TlsCertificateFile is null || TlsKeyFile is null))
            throw new ArgumentException("a TLS port needs a port in range, TlsCertificateFile and TlsKeyFile");
        if (TlsClientCaFile is not null && TlsPort is null) throw new ArgumentException("TlsClientCaFile needs a TLS port");
        if (FlushInterval <= TimeSpan.Zero) throw new ArgumentException("FlushInterval must be positive");
        if (MaxKeepAlive < TimeSpan.FromSeconds(1) || MaxKeepAlive > TimeSpan.FromSeconds(65535) || MaxKeepAlive.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentException("MaxKeepAlive must be whole seconds from 1 to 65535");
        if (ReceiveMaximum is < 1 or > 65535) throw new ArgumentException("ReceiveMaximum must be from 1 to 65535");
        if (MaxPacketSize is < 64 or > 268_435_460) throw new ArgumentException("MaxPacketSize must be from 64 bytes to 256 MB");
        if (MaxConnections <= 0) throw new ArgumentException("MaxConnections must be positive");
        if (MaxPendingMessagesPerClient <= 0) throw new ArgumentException("MaxPendingMessagesPerClient must be positive");
    }
}
