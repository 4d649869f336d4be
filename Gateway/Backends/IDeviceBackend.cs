using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends;

/// <summary>A device held by a station: every operation of the seed's <c>IoTDeviceBackend</c>.</summary>
public interface IDeviceBackend
{
    /// <summary>The device id, unique within its station (two stations may each hold a device of the same id).</summary>
    string Id { get; }

    /// <summary>Current props; cheap, from memory.</summary>
    DeviceProps GetProps();

    /// <summary>The keys that can be read, written or watched.</summary>
    IReadOnlyList<string> GetKeys();

    /// <summary>Disconnects the device from the station.</summary>
    Task DisconnectAsync(CancellationToken cancellationToken);
    /// <summary>Sets the device clock to the gateway's time.</summary>
    Task<TimeReply> SetTimeAsync(CancellationToken cancellationToken);
    /// <summary>Compares the device clock with the gateway's.</summary>
    Task<TimeReply> SyncTimeAsync(CancellationToken cancellationToken);
    /// <summary>Reads the bytes under a key.</summary>
    Task<byte[]> ReadValueAsync(string key, CancellationToken cancellationToken);
    /// <summary>Writes bytes under a key; returns how many were written.</summary>
    Task<int> WriteValueAsync(string key, ReadOnlyMemory<byte> value, bool withResponse, CancellationToken cancellationToken);
    /// <summary>Turns notifications on for a key.</summary>
    Task EnableNotificationsAsync(string key, CancellationToken cancellationToken);
    /// <summary>Turns notifications off for a key.</summary>
    Task DisableNotificationsAsync(string key, CancellationToken cancellationToken);
    /// <summary>Resets the device to its defaults.</summary>
    Task ResetAsync(CancellationToken cancellationToken);
}
