using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>OPC UA status codes as the contract's error codes; the message keeps the OPC UA code's name and meaning.</summary>
internal static class OpcUaErrors
{
    public static IoTException ToIoT(OpcUaException ex, string context, ErrorCode unknownNode = ErrorCode.BackendFailure) =>
        new(Map(ex.Status, unknownNode), $"{context}: {ex.Message}", ex);

    public static ErrorCode Map(StatusCode status, ErrorCode unknownNode = ErrorCode.BackendFailure) => (status.Code & 0xFFFF0000) switch
    {
        StatusCodes.BadTypeMismatch or StatusCodes.BadOutOfRange or StatusCodes.BadInvalidArgument or StatusCodes.BadArgumentsMissing
            or StatusCodes.BadTooManyArguments or StatusCodes.BadIndexRangeInvalid => ErrorCode.BadRequest,
        StatusCodes.BadNotWritable or StatusCodes.BadWriteNotSupported or StatusCodes.BadNotReadable or StatusCodes.BadNotSupported
            or StatusCodes.BadNotImplemented or StatusCodes.BadMethodInvalid or StatusCodes.BadNotExecutable => ErrorCode.Unsupported,
        StatusCodes.BadNodeIdUnknown or StatusCodes.BadNodeIdInvalid => unknownNode,
        StatusCodes.BadUserAccessDenied => ErrorCode.Unsupported,
        _ => ErrorCode.BackendFailure,
    };
}
