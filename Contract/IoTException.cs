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

    /// <summary>Creates an error, saying whether the responder (gateway or hub) sent it.</summary>
    public IoTException(ErrorCode code, string message, bool isRemote, Exception? inner = null) : base(message, inner)
    {
        Code = code;
        IsRemote = isRemote;
    }

    /// <summary>The stable error code, as on the wire.</summary>
    public ErrorCode Code { get; }

    /// <summary>
    /// True when the responder (a gateway or the hub) answered with this error; false when it was raised on this side
    /// (the caller's own timeout, no broker, nobody subscribed). A DEADLINE_EXCEEDED with IsRemote says the responder
    /// stopped the request itself; without it, the reply did not arrive in time.
    /// </summary>
    public bool IsRemote { get; }

    /// <inheritdoc />
    public override string ToString() => $"{WireName<ErrorCode>.Of(Code)}: {Message}";
}
