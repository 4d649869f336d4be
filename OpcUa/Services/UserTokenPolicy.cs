using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>A kind of user identity an endpoint accepts (OPC 10000-4 §7.42).</summary>
/// <param name="PolicyId">The id to put in the identity token.</param>
/// <param name="TokenType">The kind of token.</param>
/// <param name="SecurityPolicyUri">How a secret in the token is encrypted; null or empty means the endpoint's policy.</param>
public sealed record UserTokenPolicy(string? PolicyId, UserTokenType TokenType, string? SecurityPolicyUri)
{
    internal static UserTokenPolicy Decode(BinaryDecoder d)
    {
        var policyId = d.ReadString();
        var type = (UserTokenType)d.ReadInt32();
        d.ReadString(); // IssuedTokenType
        d.ReadString(); // IssuerEndpointUrl
        return new UserTokenPolicy(policyId, type, d.ReadString());
    }
}
