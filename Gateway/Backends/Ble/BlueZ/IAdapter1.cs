using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble.BlueZ;

/// <summary><c>org.bluez.Adapter1</c> (BlueZ doc/org.bluez.Adapter.rst): one local controller, <c>/org/bluez/hciN</c>.</summary>
[DBusInterface("org.bluez.Adapter1")]
internal interface IAdapter1 : IDBusObject
{
    Task StartDiscoveryAsync();
    Task StopDiscoveryAsync();
    Task SetDiscoveryFilterAsync(IDictionary<string, object> filter);
    Task RemoveDeviceAsync(ObjectPath device);

    Task<T> GetAsync<T>(string prop);
    Task<IDictionary<string, object>> GetAllAsync();
    Task SetAsync(string prop, object val);
    Task<IDisposable> WatchPropertiesAsync(Action<PropertyChanges> handler);
}
