using Tmds.DBus;

namespace MqttIoT.Tests.Ble;

/// <summary>The fake BlueZ's control surface (<c>org.mqttiot.FakeBlueZ1</c> at <c>/org/mqttiot/fake</c>, see fake_bluez.py). Specs and states are JSON.</summary>
[DBusInterface("org.mqttiot.FakeBlueZ1")]
public interface IFakeBlueZControl : IDBusObject
{
    /// <summary>A device that appears <c>delayMs</c> after discovery starts.</summary>
    Task AddAdvertiserAsync(string spec);
    /// <summary>A device BlueZ already knows, exported at once.</summary>
    Task AddDeviceAsync(string spec);
    Task RemoveDeviceAsync(string address);
    /// <summary>The device drops the link.</summary>
    Task DropAsync(string address);
    /// <summary>The next <paramref name="count"/> Connect calls on the device fail with org.bluez.Error.Failed.</summary>
    Task FailConnectsAsync(string address, int count);
    Task NotifyAsync(string address, string uuid, string valueHex);
    /// <summary>The next <paramref name="count"/> GATT calls on the device fail with org.bluez.Error.InProgress.</summary>
    Task SetBusyAsync(string address, int count);
    /// <summary>The next GATT calls on the characteristic <paramref name="uuid"/> (full form) fail, one per error:
    /// <paramref name="errors"/> is JSON <c>[["NotConnected", "Not Connected"], ...]</c> (names without dots are under org.bluez.Error).</summary>
    Task FailNextAsync(string address, string uuid, string errors);
    Task SetLatencyAsync(string address, int ms);
    Task<string> DeviceStateAsync(string address);
    Task<string> DiscoveryFilterAsync();
    Task<string> CallsAsync();
    /// <summary>Someone else powers the adapter off.</summary>
    Task PowerOffAsync();
}
