namespace MqttIoT.OpcUa.Services;

/// <summary>Kinds of user identity token (OPC 10000-4 §7.43).</summary>
public enum UserTokenType
{
    /// <summary>No user.</summary>
    Anonymous = 0,
    /// <summary>User name and password.</summary>
    UserName = 1,
    /// <summary>An X.509 certificate.</summary>
    Certificate = 2,
    /// <summary>A token from an identity provider.</summary>
    IssuedToken = 3,
}
