namespace MqttIoT.OpcUa;

/// <summary>How a client connects to one server endpoint.</summary>
public sealed class OpcUaClientOptions
{
    /// <summary>The smallest buffer OPC 10000-6 §7.1.2.3 lets either side announce.</summary>
    public const int MinBufferSize = 8192;

    /// <summary>The endpoint, <c>opc.tcp://host:port/path</c>.</summary>
    public string EndpointUrl { get; set; } = "opc.tcp://127.0.0.1:4840";

    /// <summary>Who the session acts for; anonymous by default.</summary>
    public UserIdentity Identity { get; set; } = UserIdentity.Anonymous;

    /// <summary>
    /// The SecurityPolicy to use: <c>None</c> (the default), <c>Basic256Sha256</c>, <c>Aes128_Sha256_RsaOaep</c>,
    /// <c>Aes256_Sha256_RsaPss</c> (short name or URI), or null for the most secure the server offers.
    /// </summary>
    public string? SecurityPolicy { get; set; } = "None";

    /// <summary>The message security mode to use; null for the most secure the server offers with the policy.</summary>
    public MessageSecurityMode? SecurityMode { get; set; } = MessageSecurityMode.None;

    /// <summary>
    /// The PKI folder (own, trusted, rejected, issuers): where the application certificate is created on first use
    /// and server certificates are trusted.
    /// </summary>
    public string PkiPath { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "MqttIoT", "opcua-pki");

    /// <summary>
    /// Trust an unknown server certificate on first use, copying it to trusted/ (off by default: it is refused and
    /// copied to rejected/, for an operator to trust). Certificates that are expired, name another application URI or
    /// do not allow the key usages are refused either way.
    /// </summary>
    public bool TrustServerCertificateOnFirstUse { get; set; }

    /// <summary>The application URI and name the server sees; it is in the application certificate's subject alternative name.</summary>
    public string ApplicationUri { get; set; } = "urn:mqttiot:opcua-client";

    /// <summary>The session's name on the server.</summary>
    public string SessionName { get; set; } = "MqttIoT";

    /// <summary>Largest chunk this client receives (announced in HEL).</summary>
    public int ReceiveBufferSize { get; set; } = 65536;

    /// <summary>Largest chunk this client sends (announced in HEL; the server's ACK may make it smaller).</summary>
    public int SendBufferSize { get; set; } = 65536;

    /// <summary>Largest whole message this client receives; 0 means no limit.</summary>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most chunks in a message this client receives; 0 means no limit.</summary>
    public int MaxChunkCount { get; set; } = 4096;

    /// <summary>The secure channel token lifetime asked for; the client renews at 75% of the lifetime granted.</summary>
    public TimeSpan SecureChannelLifetime { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>The session timeout asked for.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a service call may take before it fails with BadTimeout.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long opening the TCP connection may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an idle session reads the server clock, keeping the session alive and finding a dead link; zero turns it off.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Publish requests kept outstanding while a subscription exists (fewer when the server says BadTooManyPublishRequests).</summary>
    public int PublishRequestCount { get; set; } = 2;

    /// <summary>Whether the options ask for SecurityPolicy None and mode None only (no endpoint discovery, no certificates).</summary>
    public bool IsUnsecured => Security.SecurityPolicy.Find(SecurityPolicy)?.IsNone == true;

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(EndpointUrl, UriKind.Absolute, out var uri) || uri.Scheme != "opc.tcp" || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"'{EndpointUrl}' is not an endpoint URL (opc.tcp://host:port/path)");
        if (ReceiveBufferSize < MinBufferSize || SendBufferSize < MinBufferSize)
            throw new ArgumentException($"buffer sizes must be at least {MinBufferSize} bytes");
        if (MaxMessageSize < 0 || MaxChunkCount < 0) throw new ArgumentException("MaxMessageSize and MaxChunkCount cannot be negative");
        if (SecureChannelLifetime < TimeSpan.FromMilliseconds(100)) throw new ArgumentException("SecureChannelLifetime is too short");
        if (OperationTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero) throw new ArgumentException("timeouts must be positive");
        if (PublishRequestCount < 1) throw new ArgumentException("PublishRequestCount must be at least 1");
        ArgumentNullException.ThrowIfNull(Identity);
        if (SecurityPolicy is not null && Security.SecurityPolicy.Find(SecurityPolicy) is null)
            throw new ArgumentException($"unknown SecurityPolicy '{SecurityPolicy}' (this client has: {string.Join(", ", Security.SecurityPolicy.All.Select(p => p.Name))})");
        if (SecurityMode is MessageSecurityMode.Invalid) throw new ArgumentException("SecurityMode must be None, Sign or SignAndEncrypt");
        bool none = Security.SecurityPolicy.Find(SecurityPolicy)?.IsNone == true;
        if (none && SecurityMode is MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt || !none && SecurityPolicy is not null && SecurityMode is MessageSecurityMode.None)
            throw new ArgumentException($"SecurityPolicy {SecurityPolicy} does not go with SecurityMode {SecurityMode}");
        if (!Uri.TryCreate(ApplicationUri, UriKind.Absolute, out _)) throw new ArgumentException($"ApplicationUri '{ApplicationUri}' is not a URI");
    }
}
