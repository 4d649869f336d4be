using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Services;

/// <summary>The header of every response (OPC 10000-4 §7.34).</summary>
internal readonly record struct ResponseHeader(DateTime Timestamp, uint RequestHandle, StatusCode ServiceResult, string?[] StringTable)
{
    public static ResponseHeader Decode(BinaryDecoder d)
    {
        var timestamp = d.ReadDateTime();
        var handle = d.ReadUInt32();
        var result = d.ReadStatusCode();
        d.SkipDiagnosticInfo();
        var strings = d.ReadList(d.ReadString);
        d.ReadExtensionObject(); // AdditionalHeader
        return new ResponseHeader(timestamp, handle, result, strings);
    }
}
