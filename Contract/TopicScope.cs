namespace MqttIoT.Sdk.Contract;

/// <summary>Which part of the tree a topic belongs to.</summary>
public enum TopicScope
{
    /// <summary><c>{root}/stations/{station}/...</c></summary>
    Station,
    /// <summary><c>{root}/stations/{station}/devices/{device}/...</c></summary>
    Device,
    /// <summary><c>{root}/hub/...</c></summary>
    Hub,
    /// <summary><c>{root}/clients/{client}/...</c></summary>
    Client,
}
