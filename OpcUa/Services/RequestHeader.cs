using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>The header of every request (OPC 10000-4 §7.33).</summary>
internal readonly record struct RequestHeader(NodeId AuthenticationToken, DateTime Timestamp, uint RequestHandle, uint TimeoutHintMs)
{
    public void Encode(BinaryEncoder e)
    {
        e.WriteNodeId(AuthenticationToken);
        e.WriteDateTime(Timestamp);
        e.WriteUInt32(RequestHandle);
        e.WriteUInt32(0); // ReturnDiagnostics: none
        e.WriteString(null); // AuditEntryId
        e.WriteUInt32(TimeoutHintMs);
        e.WriteExtensionObject(null); // AdditionalHeader
    }
}
