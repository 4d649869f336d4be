using System.Text.Json;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>What one device answered to a request of <see cref="IoTHubClient.BulkRequestAsync"/>.</summary>
/// <param name="Station">The station holding the device.</param>
/// <param name="Device">The device id.</param>
/// <param name="Error">The wire's error code; null when the device did what was asked.</param>
/// <param name="Message">The error's message; null on success.</param>
/// <param name="Data">The reply's data on success (the value of READ_VALUE, the count of WRITE_VALUE...); default otherwise.</param>
public sealed record BulkResult(string Station, string Device, ErrorCode? Error, string? Message, JsonElement Data)
{
    /// <summary>Whether the device did what was asked.</summary>
    public bool Ok => Error is null;
}
