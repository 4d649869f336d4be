using System.Text;
using MqttIoT.Gateway.Backends;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Requests;

/// <summary>Everything a handler needs: the station, the addressed device (for device requests) and the body.</summary>
public sealed class RequestContext(IStationBackend station, IDeviceBackend? device, RequestBody body, string? turnOf = null)
{
    /// <summary>The station this gateway hosts.</summary>
    public IStationBackend Station { get; } = station;

    /// <summary>The body of the request.</summary>
    public RequestBody Body { get; } = body;

    /// <summary>The device id whose turn the request takes (one operation per device at a time), or null.</summary>
    public string? TurnOf { get; } = turnOf;

    /// <summary>The station's event outbox (GET_EVENTS reads it).</summary>
    internal Publishing.EventOutbox Outbox { get => field ?? throw new InvalidOperationException("no outbox"); init; }

    /// <summary>The device a device request is addressed to.</summary>
    public IDeviceBackend Device => device ?? throw new InvalidOperationException("not a device request");

    /// <summary>The <c>device</c> option, required.</summary>
    public string RequireDeviceOption() =>
        string.IsNullOrEmpty(Body.Device) ? throw BadRequest("option 'device' is required") : Body.Device;

    /// <summary>The device named by the <c>device</c> option, which the station must know.</summary>
    public IDeviceBackend RequireKnownDevice()
    {
        var id = RequireDeviceOption();
        return Station.FindDevice(id) ?? throw new IoTException(ErrorCode.UnknownDevice, $"station '{Station.Id}' knows no device '{id}'");
    }

    /// <summary>The <c>key</c> option, required.</summary>
    public string RequireKey() => string.IsNullOrEmpty(Body.Key) ? throw BadRequest("option 'key' is required") : Body.Key;

    /// <summary>The bytes to write: <c>value</c> as hex, or <c>text</c> as UTF-8; exactly one of them.</summary>
    public byte[] RequireValue()
    {
        if (Body.Value is not null && Body.Text is not null) throw BadRequest("give either 'value' (hex) or 'text', not both");
        if (Body.Text is not null) return Encoding.UTF8.GetBytes(Body.Text);
        if (Body.Value is null) throw BadRequest("option 'value' (hex bytes) or 'text' is required");
        return ValueCodec.TryFromHex(Body.Value, out var bytes)
            ? bytes
            : throw BadRequest($"'value' must be hex bytes such as \"0a1b\", got \"{Truncate(Body.Value)}\"");
    }

    private static IoTException BadRequest(string message) => new(ErrorCode.BadRequest, message);

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
