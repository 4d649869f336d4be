using MqttIoT.Gateway.Backends.Ble.BlueZ;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>One GATT characteristic of a connected device, as a key: its object, UUID, flags and value watch.</summary>
internal sealed class BleCharacteristic(string path, string uuid, string serviceUuid, IReadOnlyCollection<string> flags, IGattCharacteristic1 proxy)
{
    public string Path { get; } = path;
    public string Uuid { get; } = uuid;
    public string ServiceUuid { get; } = serviceUuid;
    public IGattCharacteristic1 Proxy { get; } = proxy;
    public string Key { get; set; } = uuid;

    /// <summary>The PropertiesChanged subscription that carries notifications; set once notifications were asked for.</summary>
    public IDisposable? ValueWatch { get; set; }

    /// <summary>Whether BlueZ says notifications are on, as last seen in PropertiesChanged.</summary>
    public volatile bool Notifying;

    public bool CanRead => flags.Any(f => f is "read" or "encrypt-read" or "encrypt-authenticated-read");
    public bool CanWrite => flags.Any(f => f is "write" or "encrypt-write" or "encrypt-authenticated-write" or "reliable-write");
    public bool CanWriteWithoutResponse => flags.Contains("write-without-response");
    public bool CanNotify => flags.Contains("notify") || flags.Contains("indicate");
}
