using MqttIoT.Gateway;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// A gateway on a simulated station, in the benchmark's process (as the bare baselines' responder is): its
/// devices discovered and connected at start, no periodic notifications (the scenario drives them).
/// </summary>
public sealed class InProcessGateway : IAsyncDisposable
{
    private InProcessGateway(SimulatedStation station, GatewayService gateway)
    {
        Station = station;
        Gateway = gateway;
    }

    /// <summary>The simulated station.</summary>
    public SimulatedStation Station { get; }

    /// <summary>The gateway.</summary>
    public GatewayService Gateway { get; }

    /// <summary>Starts the gateway and waits until every device is connected.</summary>
    public static async Task<InProcessGateway> StartAsync(BenchContext context, int port, string stationId, int devices, CancellationToken cancellationToken)
    {
        var station = new SimulatedStation(new SimulatedStationOptions
        {
            StationId = stationId, DeviceCount = devices, AutoDiscover = true, AutoConnect = true,
            DiscoveryInterval = TimeSpan.FromMilliseconds(10), DiscoveryBatchSize = Math.Max(1, devices),
            NotifyInterval = TimeSpan.FromHours(1),
        });
        var gateway = new GatewayService(new GatewayOptions { Mqtt = new() { Host = "127.0.0.1", Port = port } }, station, context.LoggerFactory);
        try
        {
            await gateway.StartAsync(cancellationToken);
            await Deadline.UntilAsync(() => station.GetConnectedDevices().Count >= devices, $"station {stationId} connects its {devices} devices", TimeSpan.FromSeconds(30));
        }
        catch
        {
            await gateway.DisposeAsync();
            await station.DisposeAsync();
            throw;
        }
        return new InProcessGateway(station, gateway);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Station.DisposeAsync();
    }
}
