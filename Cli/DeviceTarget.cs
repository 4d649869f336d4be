using MqttIoT.Sdk;

namespace MqttIoT.Cli;

/// <summary>A device named on the command line: <c>station/device</c>, or its id alone, which the hub locates.</summary>
public static class DeviceTarget
{
    /// <summary>Splits <c>station/device</c> at the first slash (station ids have none: they are topic segments); null station for an id alone.</summary>
    public static (string? Station, string Device) Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) return (null, text.Length > 0 ? text : throw new UsageException("a device is station/device or a device id"));
        var (station, device) = (text[..slash], text[(slash + 1)..]);
        if (station.Length == 0 || device.Length == 0) throw new UsageException($"'{text}' is not station/device");
        return (station, device);
    }

    /// <summary>The device to talk to; an id alone is located through the hub (UNKNOWN_DEVICE when it knows none, BAD_REQUEST when several stations hold it).</summary>
    public static async Task<RemoteDevice> ResolveAsync(IoTHubClient client, string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (station, device) = Split(text);
        return station is not null ? client.GetDevice(station, device) : await client.LocateDeviceAsync(device, timeout, cancellationToken);
    }
}
