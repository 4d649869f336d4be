using System.Text.Json.Nodes;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.Simulated;

/// <summary>
/// A station that simulates thermostats: discovery reveals them over time, connected ones notify, and every
/// operation can be slowed down or made to fail. It is a real backend: the demo, the tests and the benchmarks
/// run the gateway on it.
/// </summary>
public sealed class SimulatedStation : IStationBackend
{
    private readonly SimulatedStationOptions _options;
    private readonly SimulatedDevice[] _all;
    private readonly Dictionary<string, SimulatedDevice> _byId;
    private readonly HashSet<string> _failingKeys;
    private readonly Lock _lock = new();
    private readonly Random _random;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Task _ticker;
    private int _revealed;
    private bool _started;
    private bool _discoveryEnabled = true;
    private CancellationTokenSource? _discovery;
    private volatile IBackendEventSink? _sink;

    private long _operationsStarted;

    /// <summary>Creates the station, stopped, with no device discovered yet.</summary>
    public SimulatedStation(SimulatedStationOptions options, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        Time = timeProvider ?? TimeProvider.System;
        _random = new Random(options.Seed);
        Latency = options.Latency;
        _failingKeys = [.. options.FailingKeys];
        _all = new SimulatedDevice[options.DeviceCount];
        for (int i = 0; i < _all.Length; i++)
            _all[i] = new SimulatedDevice(this, $"{options.EffectivePrefix}{i + 1:D4}", i + 1, _random);
        _byId = _all.ToDictionary(d => d.Id, StringComparer.Ordinal);
        _ticker = Task.Run(() => TickAsync(_disposing.Token));
    }

    /// <inheritdoc />
    public string Id => _options.StationId;

    /// <summary>Time every device operation takes; can be changed while running.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Every device the simulator can reveal, known yet or not.</summary>
    public IReadOnlyList<SimulatedDevice> AllDevices => _all;

    internal TimeProvider Time { get; }

    internal IBackendEventSink? Sink => _sink;

    /// <inheritdoc />
    public void SetEventSink(IBackendEventSink? sink) => _sink = sink;

    /// <inheritdoc />
    public StationProps GetProps()
    {
        lock (_lock)
        {
            return new StationProps
            {
                Id = Id,
                Backend = "simulated",
                Started = _started,
                DiscoveryEnabled = _discoveryEnabled,
                Discovering = _discovery is not null,
                KnownDevices = Known().Count(),
                ConnectedDevices = Known().Count(d => d.Connected),
                Attributes = new JsonObject { ["deviceCount"] = _all.Length, ["seed"] = _options.Seed },
            };
        }
    }

    /// <inheritdoc />
    public IDeviceBackend? FindDevice(string device)
    {
        if (!_byId.TryGetValue(device, out var d)) return null;
        lock (_lock) return d.Index <= _revealed && !d.Removed ? d : null;
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetKnownDevices()
    {
        lock (_lock) return Known().ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetConnectedDevices()
    {
        lock (_lock) return Known().Where(d => d.Connected).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<IDeviceBackend> GetDiscoveredDevices()
    {
        lock (_lock) return Known().Where(d => !d.Connected).ToArray();
    }

    /// <summary>
    /// A known device leaves for good (taken away, unpaired): it is disconnected if it was, the station forgets it, and
    /// the gateway clears its retained props and availability (the sink's <see cref="IBackendEventSink.OnDeviceRemoved"/>),
    /// which is how the hub and everyone else learn it is gone. The contract has no removal event. False when the
    /// station holds no such device.
    /// </summary>
    public bool RemoveDevice(string device)
    {
        if (FindDevice(device) is not SimulatedDevice d) return false;
        SetConnected(d, false);
        lock (_lock)
        {
            if (d.Removed) return false;
            d.Removed = true;
        }
        _sink?.OnDeviceRemoved(d.Id);
        _sink?.OnStationEvent(StationEventType.PropsChanged);
        return true;
    }

    // Under _lock.
    private IEnumerable<SimulatedDevice> Known() => _all.Take(_revealed).Where(d => !d.Removed);

    // Every station request that succeeds emits its event once, also when the station is in that state already
    // (topics.md, "Station requests"); what a request changes on the way (a scan it stops) emits its own events.

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        bool already;
        lock (_lock)
        {
            already = _started;
            _started = true;
        }
        _sink?.OnStationEvent(StationEventType.Started);
        return _options.AutoDiscover && !already ? StartDiscoveryAsync(cancellationToken) : Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        bool started;
        lock (_lock) started = _started;
        if (started)
        {
            StopScan();
            foreach (var device in GetConnectedDevices()) SetConnected((SimulatedDevice)device, false);
            lock (_lock) _started = false;
        }
        _sink?.OnStationEvent(StationEventType.Stopped);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task ConnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        RequireStarted();
        if (d.Connected)
        {
            _sink?.OnStationEvent(StationEventType.DeviceConnected, d.Id);
            return;
        }
        await DelayAsync(cancellationToken).ConfigureAwait(false);
        SetConnected(d, true);
    }

    /// <inheritdoc />
    public async Task DisconnectAsync(string device, CancellationToken cancellationToken)
    {
        var d = RequireKnown(device);
        if (!d.Connected)
        {
            _sink?.OnStationEvent(StationEventType.DeviceDisconnected, d.Id);
            return;
        }
        await DelayAsync(cancellationToken).ConfigureAwait(false);
        SetConnected(d, false);
    }

    /// <inheritdoc />
    public Task StartDiscoveryAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? scan;
        lock (_lock)
        {
            if (!_started) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
            if (!_discoveryEnabled) throw new IoTException(ErrorCode.InvalidState, $"discovery is disabled on station '{Id}'");
            scan = _discovery is null ? _discovery = new CancellationTokenSource() : null;
        }
        _sink?.OnStationEvent(StationEventType.DiscoveryStarted);
        if (scan is not null) _ = Task.Run(() => DiscoverAsync(scan), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopDiscoveryAsync(CancellationToken cancellationToken)
    {
        if (!StopScan()) _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task EnableDiscoveryAsync(CancellationToken cancellationToken)
    {
        lock (_lock) _discoveryEnabled = true;
        _sink?.OnStationEvent(StationEventType.DiscoveryEnabled);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DisableDiscoveryAsync(CancellationToken cancellationToken)
    {
        lock (_lock) _discoveryEnabled = false;
        StopScan();
        _sink?.OnStationEvent(StationEventType.DiscoveryDisabled);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        StopScan();
        try { await _ticker.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _disposing.Dispose();
    }

    /// <summary>How many device operations reached the (simulated) device; tests use it to see what was never executed.</summary>
    public long OperationsStarted => Interlocked.Read(ref _operationsStarted);

    /// <summary>The common path of every device operation: connected, then latency, then injected failures.</summary>
    internal async Task OperateAsync(SimulatedDevice device, string? key, CancellationToken cancellationToken)
    {
        if (!device.Connected) throw new IoTException(ErrorCode.NotConnected, $"device '{device.Id}' is not connected");
        Interlocked.Increment(ref _operationsStarted);
        await DelayAsync(cancellationToken).ConfigureAwait(false);
        if (key is not null && _failingKeys.Contains(key))
            throw new IoTException(ErrorCode.BackendFailure, $"injected failure on key '{key}' of '{device.Id}'");
        if (_options.FailureRate > 0)
        {
            double roll;
            lock (_lock) roll = _random.NextDouble();
            if (roll < _options.FailureRate)
                throw new IoTException(ErrorCode.BackendFailure, $"injected failure on '{device.Id}'");
        }
    }

    /// <summary>Ends a running scan, with its DISCOVERY_STOPPED; false when none was running.</summary>
    private bool StopScan()
    {
        CancellationTokenSource? scan;
        lock (_lock)
        {
            scan = _discovery;
            _discovery = null;
        }
        if (scan is null) return false;
        try { scan.Cancel(); }
        catch (ObjectDisposedException) { } // the scan finished by itself meanwhile: nothing left to cancel
        _sink?.OnStationEvent(StationEventType.DiscoveryStopped);
        return true;
    }

    private Task DelayAsync(CancellationToken cancellationToken)
    {
        var latency = Latency;
        return latency > TimeSpan.Zero ? Task.Delay(latency, Time, cancellationToken) : Task.CompletedTask;
    }

    private void SetConnected(SimulatedDevice device, bool connected)
    {
        lock (_lock)
        {
            if (device.Connected == connected) return;
            device.Connected = connected;
            if (!connected) device.ClearNotifications();
        }
        if (connected)
        {
            _sink?.OnDeviceEvent(device.Id, DeviceEventType.Connected);
            _sink?.OnStationEvent(StationEventType.DeviceConnected, device.Id);
        }
        else
        {
            _sink?.OnDeviceEvent(device.Id, DeviceEventType.Disconnected);
            _sink?.OnStationEvent(StationEventType.DeviceDisconnected, device.Id);
        }
    }

    private SimulatedDevice RequireKnown(string device) =>
        FindDevice(device) as SimulatedDevice ?? throw new IoTException(ErrorCode.UnknownDevice, $"station '{Id}' knows no device '{device}'");

    private void RequireStarted()
    {
        lock (_lock) if (!_started) throw new IoTException(ErrorCode.InvalidState, $"station '{Id}' is stopped");
    }

    private async Task DiscoverAsync(CancellationTokenSource scan)
    {
        int batch = _options.DiscoveryBatchSize > 0 ? _options.DiscoveryBatchSize : Math.Max(1, (int)Math.Ceiling(_all.Length / 10.0));
        try
        {
            while (!scan.IsCancellationRequested)
            {
                await Task.Delay(_options.DiscoveryInterval, Time, scan.Token).ConfigureAwait(false);
                SimulatedDevice[] found;
                lock (_lock)
                {
                    if (_discovery != scan) return;
                    int end = Math.Min(_all.Length, _revealed + batch);
                    found = _all[_revealed..end];
                    _revealed = end;
                }
                foreach (var d in found)
                {
                    _sink?.OnStationEvent(StationEventType.DeviceDiscovered, d.Id,
                        new JsonObject { ["name"] = $"Thermostat {d.Index:D4}", ["rssi"] = -40 - d.Index % 50 });
                    if (_options.AutoConnect)
                    {
                        d.StartNotifyingNow("temperature");
                        SetConnected(d, true);
                    }
                }
                bool done;
                lock (_lock) done = _revealed == _all.Length;
                if (done)
                {
                    StopScan();
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
        finally { scan.Dispose(); }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.NotifyInterval, Time);
        var random = new Random(_options.Seed + 1);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                int revealed;
                lock (_lock) revealed = _revealed;
                for (int i = 0; i < revealed; i++)
                    if (_all[i].Connected) _all[i].Tick(random);
            }
        }
        catch (OperationCanceledException) { }
    }
}
