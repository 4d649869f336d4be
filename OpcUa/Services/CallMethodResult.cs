using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>The outcome of one method call (OPC 10000-4 §5.11.2).</summary>
/// <param name="StatusCode">Good, or why the call failed.</param>
/// <param name="InputArgumentResults">Per input argument, when the server checked them one by one.</param>
/// <param name="OutputArguments">The method's outputs.</param>
public sealed record CallMethodResult(StatusCode StatusCode, IReadOnlyList<StatusCode> InputArgumentResults, IReadOnlyList<Variant> OutputArguments)
{
    internal static CallMethodResult Decode(BinaryDecoder d)
    {
        var status = d.ReadStatusCode();
        var inputs = d.ReadList(d.ReadStatusCode);
        d.SkipDiagnosticInfos();
        return new CallMethodResult(status, inputs, d.ReadList(d.ReadVariant));
    }
}
