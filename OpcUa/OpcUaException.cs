using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa;

/// <summary>
/// A failure with an OPC UA status code: a Bad service result or operation result, an ERR message, a broken
/// connection. The message names the code and says what it means.
/// </summary>
public sealed class OpcUaException : Exception
{
    /// <summary>Creates the error; the message starts with the code's name and meaning.</summary>
    public OpcUaException(StatusCode status, string? context = null, Exception? inner = null)
        : base(context is null ? status.Describe() : $"{context}: {status.Describe()}", inner) => Status = status;

    /// <summary>The status code.</summary>
    public StatusCode Status { get; }
}
