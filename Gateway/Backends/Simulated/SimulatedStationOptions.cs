using System.ComponentModel.DataAnnotations;
namespace MqttIoT.Gateway.Backends.Simulated;

/// <summary>Options of the simulated station.</summary>
public sealed class SimulatedStationOptions
{
    /// <summary>Largest device count the simulator takes.</summary>
    public const int MaxDevices = 10_000;

    /// <summary>The station id.</summary>
    [Required]
    public string StationId { get; set; } = "sim-1";
    /// <summary>How many devices discovery can reveal.</summary>
    [Range(0, MaxDevices)]
    public int DeviceCount { get; set; } = 5;
    /// <summary>Device ids are this prefix plus a 4-digit number; defaults to "dev-" (ids need only be unique within the station).</summary>
    public string? DevicePrefix { get; set; }
    /// <summary>Time between two discovery steps.</summary>
    public TimeSpan DiscoveryInterval { get; set; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Devices revealed per discovery step; 0 reveals all of them in ten steps.</summary>
    [Range(0, int.MaxValue)]
    public int DiscoveryBatchSize { get; set; }
    /// <summary>Period of the temperature and counter notifications.</summary>
    public TimeSpan NotifyInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Time every device operation takes (connect, read, write...). Can be changed while running.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;
    /// <summary>Chance that an operation fails with BACKEND_FAILURE (0..1).</summary>
    [Range(0.0, 1.0)]
    public double FailureRate { get; set; }
    /// <summary>Keys whose every operation fails with BACKEND_FAILURE.</summary>
    public IReadOnlyCollection<string> FailingKeys { get; set; } = [];
    /// <summary>Seed of the simulator's randomness (temperatures, clock drift, failures).</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Start discovery when the station starts.</summary>
    public bool AutoDiscover { get; set; }
    /// <summary>Connect every discovered device, and watch its temperature.</summary>
    public bool AutoConnect { get; set; }

    /// <summary>The device id prefix in effect.</summary>
    public string EffectivePrefix => DevicePrefix ?? "dev-";

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(StationId)) throw new ArgumentException("StationId is required");
        if (DeviceCount is < 0 or > MaxDevices) throw new ArgumentException($"DeviceCount must be 0..{MaxDevices}");
        if (DiscoveryInterval <= TimeSpan.Zero || NotifyInterval <= TimeSpan.Zero) throw new ArgumentException("intervals must be positive");
        if (Latency < TimeSpan.Zero) throw new ArgumentException("Latency cannot be negative");
        if (FailureRate is < 0 or > 1) throw new ArgumentException("FailureRate must be 0..1");
        if (DiscoveryBatchSize < 0) throw new ArgumentException("DiscoveryBatchSize cannot be negative");
    }
}
