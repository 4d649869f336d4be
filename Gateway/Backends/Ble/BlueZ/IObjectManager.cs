using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble.BlueZ;

/// <summary>
/// <c>org.freedesktop.DBus.ObjectManager</c> at <c>/</c> of <c>org.bluez</c>: every adapter, device, GATT service
/// and characteristic, and the signals that add and remove them.
/// </summary>
[DBusInterface("org.freedesktop.DBus.ObjectManager")]
internal interface IObjectManager : IDBusObject
{
    Task<IDictionary<ObjectPath, IDictionary<string, IDictionary<string, object>>>> GetManagedObjectsAsync();

    Task<IDisposable> WatchInterfacesAddedAsync(
        Action<(ObjectPath path, IDictionary<string, IDictionary<string, object>> interfaces)> handler, Action<Exception>? onError = null);

    Task<IDisposable> WatchInterfacesRemovedAsync(Action<(ObjectPath path, string[] interfaces)> handler, Action<Exception>? onError = null);
}
