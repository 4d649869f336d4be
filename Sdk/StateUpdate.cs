using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

/// <summary>
/// A station's retained state as its gateway publishes it: props and availability, each null until the broker has
/// given it (and again after the gateway cleared it). Availability is the gateway's last will: offline when it died.
/// </summary>
/// <param name="Station">The station id.</param>
/// <param name="Props">Its props, or null.</param>
/// <param name="Online">True online, false offline, null not known.</param>
public sealed record StationState(string Station, StationProps? Props, bool? Online);

/// <summary>
/// A device's retained state as its gateway publishes it: props and availability, each null until the broker has
/// given it, and both null once the device has left its station (the gateway cleared them).
/// </summary>
/// <param name="Station">The station holding the device.</param>
/// <param name="Device">The device id.</param>
/// <param name="Props">Its props, or null.</param>
/// <param name="Online">True while connected, false when not, null not known.</param>
public sealed record DeviceState(string Station, string Device, DeviceProps? Props, bool? Online);
