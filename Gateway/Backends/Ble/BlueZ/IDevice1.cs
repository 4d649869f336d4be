using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble.BlueZ;

/// <summary><c>org.bluez.Device1</c> (BlueZ doc/org.bluez.Device.rst): a remote device, <c>/org/bluez/hciN/dev_XX_XX_XX_XX_XX_XX</c>.</summary>
[DBusInterface("org.bluez.Device1")]
internal interface IDevice1 : IDBusObject
{
    Task ConnectAsync();
    Task DisconnectAsync();

    Task<IDictionary<string, object>> GetAllAsync();
    Task<IDisposable> WatchPropertiesAsync(Action<PropertyChanges> handler);
}
