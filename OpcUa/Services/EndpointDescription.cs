using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>An endpoint of the server, as CreateSession returns them (OPC 10000-4 §7.14).</summary>
/// <param name="EndpointUrl">The URL.</param>
/// <param name="ServerCertificate">The server's certificate (DER), used to encrypt passwords.</param>
/// <param name="SecurityMode">1 None, 2 Sign, 3 SignAndEncrypt.</param>
/// <param name="SecurityPolicyUri">The channel's security policy.</param>
/// <param name="UserIdentityTokens">The user identities it accepts.</param>
/// <param name="ServerApplicationUri">The server's application URI, which its certificate must name.</param>
/// <param name="SecurityLevel">How secure the server says the endpoint is, relative to its others (higher is more).</param>
public sealed record EndpointDescription(string? EndpointUrl, byte[]? ServerCertificate, int SecurityMode, string? SecurityPolicyUri,
    IReadOnlyList<UserTokenPolicy> UserIdentityTokens, string? ServerApplicationUri = null, byte SecurityLevel = 0)
{
    /// <summary>The mode, typed.</summary>
    public MessageSecurityMode Mode => (MessageSecurityMode)SecurityMode;

    /// <inheritdoc />
    public override string ToString() => $"{Security.SecurityPolicy.Find(SecurityPolicyUri)?.Name ?? SecurityPolicyUri}/{Mode}";

    internal static EndpointDescription Decode(BinaryDecoder d)
    {
        var url = d.ReadString();
        var applicationUri = SkipApplicationDescription(d);
        var certificate = d.ReadByteString();
        int mode = d.ReadInt32();
        var policy = d.ReadString();
        var tokens = d.ReadList(() => UserTokenPolicy.Decode(d));
        d.ReadString(); // TransportProfileUri
        byte level = d.ReadByte();
        return new EndpointDescription(url, certificate, mode, policy, tokens, applicationUri, level);
    }

    /// <summary>Reads an ApplicationDescription, returning its ApplicationUri.</summary>
    internal static string? SkipApplicationDescription(BinaryDecoder d)
    {
        var uri = d.ReadString(); // ApplicationUri
        d.ReadString(); // ProductUri
        d.ReadLocalizedText(); // ApplicationName
        d.ReadInt32(); // ApplicationType
        d.ReadString(); // GatewayServerUri
        d.ReadString(); // DiscoveryProfileUri
        d.ReadArray(d.ReadString); // DiscoveryUrls
        return uri;
    }
}
