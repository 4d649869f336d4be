using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends;

/// <summary>
/// A station: something that finds and holds devices (a BLE adapter, an OPC UA endpoint, the simulator).
/// Every operation of the seed's <c>IoTStationBackend</c>. Failures are <see cref="MqttIoT.Sdk.IoTException"/>
/// with a wire code; anything else thrown becomes BACKEND_FAILURE.
/// </summary>
public interface IStationBackend : IAsyncDisposable
{
    /// <summary>The station id: unique across the system, since it names the station's topic subtree.</summary>
    string Id { get; }

    /// <summary>Current props; cheap, from memory.</summary>
    StationProps GetProps();

    /// <summary>A known (discovered or connected) device, or null.</summary>
    IDeviceBackend? FindDevice(string device);

    /// <summary>Every known device.</summary>
    IReadOnlyList<IDeviceBackend> GetKnownDevices();

    /// <summary>Connected devices.</summary>
    IReadOnlyList<IDeviceBackend> GetConnectedDevices();

    /// <summary>Discovered devices, excluding connected ones.</summary>
    IReadOnlyList<IDeviceBackend> GetDiscoveredDevices();

    /// <summary>Where the station sends its events; null detaches. Calls on the sink never block.</summary>
    void SetEventSink(IBackendEventSink? sink);

    /// <summary>Starts the station.</summary>
    Task StartAsync(CancellationToken cancellationToken);
    /// <summary>Stops the station, disconnecting its devices.</summary>
    Task StopAsync(CancellationToken cancellationToken);
    /// <summary>Connects a known device.</summary>
    Task ConnectAsync(string device, CancellationToken cancellationToken);
    /// <summary>Disconnects a device.</summary>
    Task DisconnectAsync(string device, CancellationToken cancellationToken);
    /// <summary>Starts a discovery scan.</summary>
    Task StartDiscoveryAsync(CancellationToken cancellationToken);
    /// <summary>Stops the discovery scan.</summary>
    Task StopDiscoveryAsync(CancellationToken cancellationToken);
    /// <summary>Allows discovery.</summary>
    Task EnableDiscoveryAsync(CancellationToken cancellationToken);
    /// <summary>Forbids discovery, stopping a running scan.</summary>
    Task DisableDiscoveryAsync(CancellationToken cancellationToken);
}
