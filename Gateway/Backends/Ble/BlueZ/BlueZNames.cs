namespace MqttIoT.Gateway.Backends.Ble.BlueZ;

/// <summary>The names BlueZ uses on D-Bus: its service, interfaces and error names.</summary>
internal static class BlueZNames
{
    public const string Service = "org.bluez";
    public const string Adapter = "org.bluez.Adapter1";
    public const string Device = "org.bluez.Device1";
    public const string GattService = "org.bluez.GattService1";
    public const string GattCharacteristic = "org.bluez.GattCharacteristic1";

    public const string ErrorInProgress = "org.bluez.Error.InProgress";
    public const string ErrorNotConnected = "org.bluez.Error.NotConnected";
    public const string ErrorNotPermitted = "org.bluez.Error.NotPermitted";
    public const string ErrorNotSupported = "org.bluez.Error.NotSupported";
    public const string ErrorNotAuthorized = "org.bluez.Error.NotAuthorized";
    public const string ErrorNotReady = "org.bluez.Error.NotReady";
    public const string ErrorFailed = "org.bluez.Error.Failed";
    public const string ErrorAlreadyConnected = "org.bluez.Error.AlreadyConnected";
    public const string ErrorInvalidValueLength = "org.bluez.Error.InvalidValueLength";
    public const string ErrorInvalidOffset = "org.bluez.Error.InvalidOffset";
    public const string ErrorInvalidArguments = "org.bluez.Error.InvalidArguments";
    public const string ErrorDoesNotExist = "org.bluez.Error.DoesNotExist";
    public const string ErrorUnknownObject = "org.freedesktop.DBus.Error.UnknownObject";
    public const string ErrorUnknownMethod = "org.freedesktop.DBus.Error.UnknownMethod";
    public const string ErrorServiceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown";
    public const string ErrorNameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner";
}
