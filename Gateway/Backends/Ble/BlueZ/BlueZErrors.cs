using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using Tmds.DBus;

namespace MqttIoT.Gateway.Backends.Ble.BlueZ;

/// <summary>Turns BlueZ's D-Bus errors into the wire's error codes, with BlueZ's own words kept in the message.</summary>
internal static class BlueZErrors
{
    /// <summary>Whether BlueZ says another operation on the object is still running: worth a retry.</summary>
    public static bool IsInProgress(DBusException e) => e.ErrorName == BlueZNames.ErrorInProgress;

    public static IoTException ToIoT(DBusException e, string what)
    {
        var text = $"{what}: {e.ErrorName}: {e.ErrorMessage}";
        var code = e.ErrorName switch
        {
            BlueZNames.ErrorNotConnected => ErrorCode.NotConnected,
            // BlueZ reports GATT calls on a dropped link as Failed "Not connected" (src/gatt-client.c).
            BlueZNames.ErrorFailed when e.ErrorMessage.Contains("not connected", StringComparison.OrdinalIgnoreCase) => ErrorCode.NotConnected,
            // The object went away with the link (an unbonded device's GATT database is removed on disconnect).
            BlueZNames.ErrorUnknownObject or BlueZNames.ErrorUnknownMethod => ErrorCode.NotConnected,
            BlueZNames.ErrorInProgress => ErrorCode.Busy,
            BlueZNames.ErrorNotPermitted or BlueZNames.ErrorNotSupported => ErrorCode.Unsupported,
            BlueZNames.ErrorInvalidValueLength or BlueZNames.ErrorInvalidOffset or BlueZNames.ErrorInvalidArguments => ErrorCode.BadRequest,
            BlueZNames.ErrorNotReady => ErrorCode.InvalidState,
            _ => ErrorCode.BackendFailure,
        };
        if (e.ErrorName is BlueZNames.ErrorServiceUnknown or BlueZNames.ErrorNameHasNoOwner)
            text = $"{what}: bluetoothd is not on the bus ({e.ErrorName})";
        return new IoTException(code, text, e);
    }
}
