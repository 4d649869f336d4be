using System.ComponentModel.DataAnnotations;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>Options of an OPC UA station: one server endpoint and the folder whose objects are its devices.</summary>
public sealed class OpcUaStationOptions
{
    /// <summary>The station id.</summary>
    [Required]
    public string StationId { get; set; } = "opcua-1";

    /// <summary>The server endpoint, <c>opc.tcp://host:port/path</c>.</summary>
    [Required]
    public string Endpoint { get; set; } = "opc.tcp://127.0.0.1:4840";

    /// <summary>The folder (or object) whose child objects are the devices; the Objects folder by default.</summary>
    [Required]
    public string RootNode { get; set; } = "i=85";

    /// <summary>
    /// How many levels below <see cref="RootNode"/> devices are looked for. Without <see cref="DeviceTypes"/> the
    /// objects at exactly this depth are the devices (1: the root's children); with them, objects of those types at
    /// any depth down to this one, wherever they sit in folders and other objects.
    /// </summary>
    public int SearchDepth { get; set; } = 1;

    /// <summary>Object types (node ids, their subtypes included) whose instances are the devices; empty: by depth only.</summary>
    public List<string> DeviceTypes { get; set; } = [];

    /// <summary>
    /// How deep a device's keys go: 1 takes its own variables; 2 also those of its object components, named by
    /// browse path (<c>Drive/Speed</c>), and so on.
    /// </summary>
    public int KeyDepth { get; set; } = 1;

    /// <summary>Put before each device's node id to make its device id (empty: the node id is the device id).</summary>
    public string DevicePrefix { get; set; } = "";

    /// <summary>User name; null for anonymous.</summary>
    public string? UserName { get; set; }

    /// <summary>Password of <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// The endpoint's security: <c>None</c> (the default), <c>best</c> (the most secure the server offers), or
    /// <c>Policy</c> / <c>Policy:Mode</c> such as <c>Basic256Sha256:SignAndEncrypt</c> (a policy alone takes its most secure mode).
    /// </summary>
    public string Security { get; set; } = "None";

    /// <summary>The PKI folder (own, trusted, rejected, issuers); null for the client's default.</summary>
    public string? PkiPath { get; set; }

    /// <summary>Trust an unknown server certificate on first use instead of refusing it (and copying it to rejected/).</summary>
    public bool TrustServerCertificateOnFirstUse { get; set; }

    /// <summary>Browse discovered objects as soon as the station starts.</summary>
    public bool AutoDiscover { get; set; }

    /// <summary>Connect every discovered device.</summary>
    public bool AutoConnect { get; set; }

    /// <summary>First wait before reconnecting; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait between reconnect attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Each reconnect wait is stretched by up to this fraction of itself, at random, so stations cut off together do not return together.</summary>
    public double ReconnectJitter { get; set; } = 0.2;

    /// <summary>
    /// A link that lasted this long resets the backoff and is made again at once when it breaks; one that broke
    /// sooner (a server that accepts and then drops the session) waits the backoff delay first.
    /// </summary>
    public TimeSpan StableLinkTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Publishing interval of the station's subscription, which carries every watched key.</summary>
    public TimeSpan PublishingInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Sampling interval of each watched key; negative means the publishing interval.</summary>
    public double SamplingIntervalMs { get; set; } = -1;

    /// <summary>References per node asked for in a Browse; the rest comes through BrowseNext.</summary>
    public uint MaxReferencesPerNode { get; set; } = 100;

    /// <summary>Settings of the OPC UA client (buffers, timeouts, lifetimes). Endpoint and identity are set from the options above.</summary>
    public OpcUaClientOptions Client { get; set; } = new();

    /// <summary>The client options to connect with.</summary>
    public OpcUaClientOptions ClientOptions()
    {
        var c = Client;
        c.EndpointUrl = Endpoint;
        c.Identity = UserName is null ? UserIdentity.Anonymous : UserIdentity.FromUserName(UserName, Password ?? "");
        c.SessionName = $"MqttIoT {StationId}";
        (c.SecurityPolicy, c.SecurityMode) = ParseSecurity(Security);
        if (PkiPath is not null) c.PkiPath = PkiPath;
        c.TrustServerCertificateOnFirstUse = TrustServerCertificateOnFirstUse;
        return c;
    }

    /// <summary>Reads <see cref="Security"/>: none, best, Policy or Policy:Mode.</summary>
    public static (string? Policy, MessageSecurityMode? Mode) ParseSecurity(string security)
    {
        if (string.Equals(security, "none", StringComparison.OrdinalIgnoreCase)) return ("None", MessageSecurityMode.None);
        if (string.Equals(security, "best", StringComparison.OrdinalIgnoreCase)) return (null, null);
        var parts = security.Split(':', 2);
        if (MqttIoT.OpcUa.Security.SecurityPolicy.Find(parts[0]) is null)
            throw new ArgumentException($"Security '{security}': unknown policy '{parts[0]}' (none, best, or one of "
                + string.Join(", ", MqttIoT.OpcUa.Security.SecurityPolicy.All.Select(p => p.Name)) + ", optionally with :Sign or :SignAndEncrypt)");
        if (parts.Length == 1) return (parts[0], null);
        return Enum.TryParse<MessageSecurityMode>(parts[1], ignoreCase: true, out var mode) && mode is not MessageSecurityMode.Invalid
            ? (parts[0], mode)
            : throw new ArgumentException($"Security '{security}': unknown mode '{parts[1]}' (None, Sign or SignAndEncrypt)");
    }

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(StationId)) throw new ArgumentException("StationId is required");
        if (!NodeId.TryParse(RootNode, out _)) throw new ArgumentException($"RootNode '{RootNode}' is not a node id (e.g. 'i=85' or 'ns=1;s=Plant')");
        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay) throw new ArgumentException("need 0 < ReconnectMinDelay <= ReconnectMaxDelay");
        if (ReconnectJitter is < 0 or > 1 || double.IsNaN(ReconnectJitter)) throw new ArgumentException("ReconnectJitter must be between 0 and 1");
        if (StableLinkTime < TimeSpan.Zero) throw new ArgumentException("StableLinkTime cannot be negative");
        if (SearchDepth is < 1 or > 32) throw new ArgumentException("SearchDepth must be 1 to 32");
        if (KeyDepth is < 1 or > 8) throw new ArgumentException("KeyDepth must be 1 to 8");
        foreach (var type in DeviceTypes)
            if (!NodeId.TryParse(type, out _)) throw new ArgumentException($"DeviceTypes: '{type}' is not a node id");
        if (PublishingInterval <= TimeSpan.Zero) throw new ArgumentException("PublishingInterval must be positive");
        ClientOptions().Validate();
    }
}
