namespace MqttIoT.OpcUa;

/// <summary>How the messages of a secure channel are protected (OPC 10000-4 §7.20).</summary>
public enum MessageSecurityMode
{
    /// <summary>Not a mode; what an unset value decodes as.</summary>
    Invalid = 0,
    /// <summary>Neither signed nor encrypted.</summary>
    None = 1,
    /// <summary>Signed.</summary>
    Sign = 2,
    /// <summary>Signed and encrypted.</summary>
    SignAndEncrypt = 3,
}
