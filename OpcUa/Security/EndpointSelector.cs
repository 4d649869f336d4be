using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa.Security;

/// <summary>Chooses the endpoint to connect to from those GetEndpoints returned, by the configured policy and mode.</summary>
public static class EndpointSelector
{
    /// <summary>
    /// The endpoint with the configured policy and mode (either may be null: any), preferring the server's highest
    /// SecurityLevel, then the stronger policy and mode. Only opc.tcp endpoints with a policy this client speaks
    /// count; when none is left the error lists what the server offers.
    /// </summary>
    public static EndpointDescription Choose(IReadOnlyList<EndpointDescription> endpoints, string? policy, MessageSecurityMode? mode)
    {
        var wanted = policy is null ? null : SecurityPolicy.Find(policy);
        var usable = endpoints
            .Where(e => e.EndpointUrl is null || e.EndpointUrl.StartsWith("opc.tcp:", StringComparison.OrdinalIgnoreCase))
            .Where(e => SecurityPolicy.Find(e.SecurityPolicyUri) is { } p
                && (wanted is null || p == wanted)
                && e.Mode is MessageSecurityMode.None or MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt
                && (mode is null || e.Mode == mode))
            .OrderByDescending(e => e.SecurityLevel)
            .ThenByDescending(e => SecurityPolicy.Find(e.SecurityPolicyUri)!.Rank)
            .ThenByDescending(e => (int)e.Mode)
            .ToList();
        if (usable.Count > 0) return usable[0];
        var asked = $"{wanted?.Name ?? "any policy"}/{mode?.ToString() ?? "any mode"}";
        var offered = endpoints.Count == 0 ? "none" : string.Join(", ", endpoints.Select(e => e.ToString()));
        throw new OpcUaException(policy is not null && endpoints.Any(e => e.SecurityPolicyUri == wanted?.Uri)
            ? StatusCodes.BadSecurityModeRejected : StatusCodes.BadSecurityPolicyRejected,
            $"the server offers no endpoint with {asked} (it offers: {offered})");
    }
}
