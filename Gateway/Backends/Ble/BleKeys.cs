using System.Text.Json.Nodes;

namespace MqttIoT.Gateway.Backends.Ble;

/// <summary>
/// The keys of one device: its GATT characteristics while connected, named by friendly name or UUID. The key list of
/// the last connection stays after a drop (a client can still see what the device has); the characteristics go.
/// </summary>
internal sealed class BleKeys
{
    private readonly Lock _lock = new();
    private Dictionary<string, BleCharacteristic> _characteristics = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _keys = [];

    /// <summary>The keys of the current (or last) connection.</summary>
    public IReadOnlyList<string> Keys
    {
        get { lock (_lock) return _keys; }
    }

    /// <summary>Key to UUID of the current characteristics, or null when there are none.</summary>
    public JsonObject? Uuids()
    {
        lock (_lock)
        {
            if (_characteristics.Count == 0) return null;
            var uuids = new JsonObject();
            foreach (var c in _characteristics.Values) uuids[c.Key] = c.Uuid;
            return uuids;
        }
    }

    /// <summary>Keys from the GATT objects under the device; a UUID present twice gets its object name appended.</summary>
    public void Set(List<BleCharacteristic> found)
    {
        foreach (var group in found.GroupBy(c => GattNames.Friendly(c.Uuid) ?? c.Uuid, StringComparer.Ordinal))
        {
            var list = group.ToList();
            foreach (var c in list) c.Key = list.Count == 1 ? group.Key : $"{group.Key}@{c.Path[(c.Path.LastIndexOf('/') + 1)..]}";
        }
        lock (_lock)
        {
            _characteristics = found.ToDictionary(c => c.Key, StringComparer.Ordinal);
            _keys = [.. found.Select(c => c.Key)];
        }
    }

    /// <summary>The link is down: the characteristics and their value watches go, the key list stays.</summary>
    public void Drop()
    {
        lock (_lock)
        {
            DisposeWatchesLocked();
            _characteristics = new(StringComparer.Ordinal);
        }
    }

    public void DisposeWatches()
    {
        lock (_lock) DisposeWatchesLocked();
    }

    /// <summary>The characteristic of a key (or of a UUID given as the key), or null.</summary>
    public BleCharacteristic? Find(string key)
    {
        lock (_lock)
        {
            if (_characteristics.TryGetValue(key, out var c)) return c;
            return FindKeyByUuid(key) is { } byUuid ? _characteristics[byUuid] : null;
        }
    }

    /// <summary>Whether the key is surely not one of the device's (its key list is known and has neither it nor its UUID).</summary>
    public bool IsUnknown(string key)
    {
        lock (_lock) return _keys.Count > 0 && !_keys.Contains(key) && FindKeyByUuid(key) is null;
    }

    public BleCharacteristic? FindByUuid(string uuid, string? serviceUuid = null)
    {
        lock (_lock) return _characteristics.Values.FirstOrDefault(c => c.Uuid == uuid && (serviceUuid is null || c.ServiceUuid == serviceUuid));
    }

    /// <summary>A key may also be given as its characteristic's UUID (16-bit or 128-bit). Under the lock.</summary>
    private string? FindKeyByUuid(string key) =>
        GattNames.TryParseUuid(key, out var uuid) ? _characteristics.Values.FirstOrDefault(c => c.Uuid == uuid)?.Key : null;

    private void DisposeWatchesLocked()
    {
        foreach (var c in _characteristics.Values) c.ValueWatch?.Dispose();
    }
}
