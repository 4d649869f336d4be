using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>The references of one browsed node, and a continuation point when there are more (OPC 10000-4 §7.6).</summary>
/// <param name="StatusCode">Good, or why the node could not be browsed.</param>
/// <param name="ContinuationPoint">Pass to BrowseNext for the rest; null when this is all.</param>
/// <param name="References">The references.</param>
public sealed record BrowseResult(StatusCode StatusCode, byte[]? ContinuationPoint, IReadOnlyList<ReferenceDescription> References)
{
    internal static BrowseResult Decode(BinaryDecoder d)
    {
        var status = d.ReadStatusCode();
        var cp = d.ReadByteString();
        return new BrowseResult(status, cp is { Length: > 0 } ? cp : null, d.ReadList(() => ReferenceDescription.Decode(d)));
    }
}
