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

    /// <summary>Put before each device's node id to make its device id (empty: the node id is the device id).</summary>
    public string DevicePrefix { get; set; } = "";

    /// <summary>User name; null for anonymous.</summary>
    public string? UserName { get; set; }

    /// <summary>Password of <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>Browse discovered objects as soon as the station starts.</summary>
    public bool AutoDiscover { get; set; }

    /// <summary>Connect every discovered device.</summary>
    public bool AutoConnect { get; set; }

    /// <summary>First wait before reconnecting; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait between reconnect attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

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
        return c;
    }

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(StationId)) throw new ArgumentException("StationId is required");
        if (!NodeId.TryParse(RootNode, out _)) throw new ArgumentException($"RootNode '{RootNode}' is not a node id (e.g. 'i=85' or 'ns=1;s=Plant')");
        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay) throw new ArgumentException("need 0 < ReconnectMinDelay <= ReconnectMaxDelay");
        if (StableLinkTime < TimeSpan.Zero) throw new ArgumentException("StableLinkTime cannot be negative");
        if (PublishingInterval <= TimeSpan.Zero) throw new ArgumentException("PublishingInterval must be positive");
        ClientOptions().Validate();
    }
}
