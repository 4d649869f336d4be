using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>
/// The one error type of the Sdk (and of the backends behind a gateway). <see cref="Code"/> is the wire's
/// error code, one-to-one.
/// </summary>
public sealed class IoTException : Exception
{
    /// <summary>Creates an error with a wire code and a message for people.</summary>
    public IoTException(ErrorCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>The stable error code, as on the wire.</summary>
    public ErrorCode Code { get; }

    /// <inheritdoc />
    public override string ToString() => $"{WireName<ErrorCode>.Of(Code)}: {Message}";
}
