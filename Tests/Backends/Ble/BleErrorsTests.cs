using MqttIoT.Gateway.Backends.Ble.BlueZ;
using MqttIoT.Sdk.Contract;
using Tmds.DBus;

namespace MqttIoT.Tests;

/// <summary>BlueZ's D-Bus errors as the wire's error codes, BlueZ's words kept in the message.</summary>
public class BleErrorsTests
{
    [Theory]
    [InlineData("org.bluez.Error.NotConnected", "Not Connected", ErrorCode.NotConnected)]
    [InlineData("org.bluez.Error.Failed", "Not connected", ErrorCode.NotConnected)]
    [InlineData("org.bluez.Error.Failed", "Operation failed with ATT error: 0x80", ErrorCode.BackendFailure)]
    [InlineData("org.freedesktop.DBus.Error.UnknownObject", "Method \"ReadValue\" ... doesn't exist", ErrorCode.NotConnected)]
    [InlineData("org.bluez.Error.InProgress", "In Progress", ErrorCode.Busy)]
    [InlineData("org.bluez.Error.NotPermitted", "Read not permitted", ErrorCode.Unsupported)]
    [InlineData("org.bluez.Error.NotSupported", "Operation is not supported", ErrorCode.Unsupported)]
    [InlineData("org.bluez.Error.InvalidValueLength", "Invalid Value Length", ErrorCode.BadRequest)]
    [InlineData("org.bluez.Error.InvalidOffset", "Invalid Offset", ErrorCode.BadRequest)]
    [InlineData("org.bluez.Error.InvalidArguments", "Invalid arguments in method call", ErrorCode.BadRequest)]
    [InlineData("org.bluez.Error.NotReady", "Resource Not Ready", ErrorCode.InvalidState)]
    [InlineData("org.bluez.Error.NotAuthorized", "Not Authorized", ErrorCode.BackendFailure)]
    public void Each_bluez_error_has_its_code_and_keeps_bluezs_words(string name, string message, ErrorCode expected)
    {
        var error = BlueZErrors.ToIoT(new DBusException(name, message), "read 'battery_level' of 'ble-hci0-AA'");
        error.Code.Should().Be(expected);
        error.Message.Should().Be($"read 'battery_level' of 'ble-hci0-AA': {name}: {message}");
    }

    [Fact]
    public void Only_in_progress_is_worth_a_retry()
    {
        BlueZErrors.IsInProgress(new DBusException("org.bluez.Error.InProgress", "In Progress")).Should().BeTrue();
        BlueZErrors.IsInProgress(new DBusException("org.bluez.Error.NotConnected", "Not Connected")).Should().BeFalse();
    }
}
