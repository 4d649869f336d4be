using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble.BlueZ;

/// <summary>
/// <c>org.bluez.GattCharacteristic1</c> (BlueZ doc/org.bluez.GattCharacteristic.rst), client side: a characteristic of a
/// connected device, <c>.../dev_XX/serviceXX/charYYYY</c>. Notifications arrive as PropertiesChanged on <c>Value</c>.
/// </summary>
[DBusInterface("org.bluez.GattCharacteristic1")]
internal interface IGattCharacteristic1 : IDBusObject
{
    Task<byte[]> ReadValueAsync(IDictionary<string, object> options);
    Task WriteValueAsync(byte[] value, IDictionary<string, object> options);
    Task StartNotifyAsync();
    Task StopNotifyAsync();

    Task<T> GetAsync<T>(string prop);
    Task<IDisposable> WatchPropertiesAsync(Action<PropertyChanges> handler);
}
