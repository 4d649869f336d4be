using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MqttIoT.Gateway.Backends;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests.Backends;

/// <summary>What a backend reported, in order: the backend tests drive a station directly and read what it said here.</summary>
public sealed class RecordingSink : IBackendEventSink
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<(StationEventType Type, string? Device, JsonObject? Data)> StationEvents { get; } = new();
    public ConcurrentQueue<(string Device, DeviceEventType Type, string? Key, JsonObject? Data)> DeviceEvents { get; } = new();
    public ConcurrentQueue<(string Device, string Key, byte[] Value)> Notifications { get; } = new();
    public ConcurrentQueue<string> Removed { get; } = new();

    /// <summary>How many station events of this type (for this device) were reported.</summary>
    public int Count(StationEventType type, string? device = null) =>
        StationEvents.Count(e => e.Type == type && (device is null || e.Device == device));

    /// <summary>How many device events of this type were reported for the device (and key).</summary>
    public int Count(string device, DeviceEventType type, string? key = null) =>
        DeviceEvents.Count(e => e.Device == device && e.Type == type && (key is null || e.Key == key));

    /// <summary>Station events without PROPS_CHANGED (a refresh request, not an event of its own).</summary>
    public List<StationEventType> StationTypes() => [.. StationEvents.Select(e => e.Type).Where(t => t != StationEventType.PropsChanged)];

    /// <summary>Waits (with a deadline) until <paramref name="condition"/> holds on what was reported.</summary>
    public async Task UntilAsync(Func<RecordingSink, bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Deadline.Default);
        while (true)
        {
            Task changed;
            lock (_lock) changed = _changed.Task;
            if (condition(this)) return;
            try { await changed.WaitAsync(deadline.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"{what}: not reported within {Deadline.Default.TotalSeconds} s"); }
        }
    }

    public void OnStationEvent(StationEventType type, string? device = null, JsonObject? data = null)
    {
        StationEvents.Enqueue((type, device, data));
        Changed();
    }

    public void OnDeviceEvent(string device, DeviceEventType type, string? key = null, JsonObject? data = null)
    {
        DeviceEvents.Enqueue((device, type, key, data));
        Changed();
    }

    public void OnNotified(string device, string key, ReadOnlyMemory<byte> value, JsonObject? extra = null)
    {
        Notifications.Enqueue((device, key, value.ToArray()));
        Changed();
    }

    public void OnDeviceRemoved(string device)
    {
        Removed.Enqueue(device);
        Changed();
    }

    private void Changed()
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }
}
