namespace MqttIoT.Hub.Index;

/// <summary>
/// The hub's in-memory view of every station and device: what queries read. The ingest loop applies messages under
/// the write lock (and a FIND takes it briefly to make a field index it lacks, <see cref="FieldIndexSet"/>); queries
/// run under the read lock, so each sees one consistent state.
/// LiteDB holds the same records on disk (<see cref="Storage.HubStore"/>); this view is loaded from it at start.
/// </summary>
/// <remarks>
/// Stale rule: a device is stale when its station is offline, or (once the retained state has been replayed) when
/// its station is not in the index at all; a stale device is never online. A station is stale while not online.
/// </remarks>
internal sealed class HubIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, HashSet<string>> _devicesByStation = new(StringComparer.Ordinal);
    private readonly Dictionary<(bool IsDevice, RecordKey Key), bool> _pendingAvailability = [];
    private bool _caughtUp;

    public PathTable Paths { get; } = new();
    public EntityTable Devices { get; } = new();
    public EntityTable Stations { get; } = new();

    /// <summary>Whether the retained state of the first connection has been replayed into the index.</summary>
    public bool CaughtUp => Volatile.Read(ref _caughtUp);

    public EntityTable Table(bool devices) => devices ? Devices : Stations;

    /// <summary>How many indexed devices a station holds.</summary>
    public int DeviceCount(string station) => _devicesByStation.TryGetValue(station, out var set) ? set.Count : 0;

    /// <summary>The ids of the devices a station holds, for LIST_DEVICES with <c>station</c>.</summary>
    public IReadOnlySet<string> DevicesOf(string station) =>
        _devicesByStation.TryGetValue(station, out var set) ? set : (IReadOnlySet<string>)new HashSet<string>();

    public T Read<T>(Func<HubIndex, T> query)
    {
        _lock.EnterReadLock();
        try { return query(this); }
        finally { _lock.ExitReadLock(); }
    }

    public void Write(Action<HubIndex> update)
    {
        _lock.EnterWriteLock();
        try { update(this); }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Fills the view from disk at start; every record is unconfirmed (generation 0) until the broker replays it.</summary>
    public void Load(IEnumerable<IndexRecord> records) => Write(_ =>
    {
        foreach (var r in records)
        {
            Table(r.IsDevice).Set(r);
            if (r.IsDevice && r.Station is not null) Link(r.Station, r.Id);
        }
    });

    // Everything below runs on the ingest loop, inside Write.

    /// <summary>Props of <paramref name="key"/> (null: cleared, the record leaves). A device's key names its station.</summary>
    public void ApplyProps(bool isDevice, RecordKey key, ParsedProps? props, bool retained, int generation, DateTimeOffset now, IndexChanges changes)
    {
        var table = Table(isDevice);
        table.TryGet(key, out var old);
        if (props is null)
        {
            _pendingAvailability.Remove((isDevice, key));
            if (old is null) return;
            table.Remove(key);
            changes.Remove(isDevice, key);
            if (isDevice) { if (key.Station is not null) Unlink(key.Station, key.Id); }
            else RefreshDevicesOf(key.Id, now, changes);
            return;
        }

        var availability = old?.Availability;
        if (_pendingAvailability.Remove((isDevice, key), out var pending)) availability = pending;
        var unchanged = old is not null && old.Props.AsSpan().SequenceEqual(props.Json) && old.Availability == availability;
        var record = new IndexRecord
        {
            Id = key.Id,
            IsDevice = isDevice,
            Station = key.Station,
            Availability = availability,
            FirstSeen = old?.FirstSeen ?? now,
            // A retained replay of what the index already holds is not news.
            LastSeen = unchanged && retained ? old!.LastSeen : now,
            Props = unchanged ? old!.Props : props.Json,
            Fields = unchanged ? old!.Fields : props.Fields,
            Notified = old?.Notified ?? [],
            Generation = generation,
        };
        record = isDevice ? WithDeviceState(record, props.Connected) : WithStationState(record);
        table.Set(record);
        changes.Upsert(record, isNew: old is null);
        if (isDevice && old is null && key.Station is not null) Link(key.Station, key.Id);
        if (!isDevice && (old is null || old.Online != record.Online)) RefreshDevicesOf(key.Id, now, changes);
    }

    public void ApplyAvailability(bool isDevice, RecordKey key, bool online, bool retained, DateTimeOffset now, IndexChanges changes)
    {
        var table = Table(isDevice);
        if (!table.TryGet(key, out var old))
        {
            // Props not seen yet (retained topics replay in any order): keep it for when they come.
            _pendingAvailability[(isDevice, key)] = online;
            return;
        }
        if (old.Availability == online && retained) return;
        var record = old with { Availability = online, LastSeen = now };
        record = isDevice ? WithDeviceState(record, null) : WithStationState(record);
        table.Set(record);
        changes.Upsert(record);
        if (!isDevice && old.Online != record.Online) RefreshDevicesOf(key.Id, now, changes);
    }

    public void ApplyEvent(bool isDevice, RecordKey key, NotifiedEntry? notified, DateTimeOffset now, IndexChanges changes)
    {
        var table = Table(isDevice);
        if (!table.TryGet(key, out var old)) return; // events never create records: props do
        var record = old with { LastSeen = now };
        if (notified is not null)
        {
            var list = old.Notified.Where(n => !string.Equals(n.Key, notified.Key, StringComparison.Ordinal)).Append(notified)
                .OrderBy(n => n.Key, StringComparer.Ordinal).ToArray();
            record = record with { Notified = list };
        }
        table.Set(record);
        changes.Upsert(record);
    }

    /// <summary>
    /// After the broker replayed its retained state for <paramref name="generation"/>: whatever it did not replay is
    /// gone (its props were cleared while the hub was away) and leaves the index.
    /// </summary>
    public int Sweep(int generation, DateTimeOffset now, IndexChanges changes)
    {
        var removed = 0;
        foreach (var isDevice in (ReadOnlySpan<bool>)[true, false])
        {
            var table = Table(isDevice);
            foreach (var gone in table.Records.Where(r => r.Generation < generation).Select(r => r.Key).ToList())
            {
                ApplyProps(isDevice, gone, null, retained: true, generation, now, changes);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>From now on a device whose station is not in the index is stale.</summary>
    public void MarkCaughtUp(DateTimeOffset now, IndexChanges changes)
    {
        if (_caughtUp) return;
        Volatile.Write(ref _caughtUp, true);
        foreach (var device in Devices.Records.ToList()) Refresh(device, changes);
    }

    private void RefreshDevicesOf(string station, DateTimeOffset now, IndexChanges changes)
    {
        if (!_devicesByStation.TryGetValue(station, out var ids)) return;
        foreach (var id in ids)
            if (Devices.TryGet(new(id, station), out var device)) Refresh(device, changes);
    }

    private void Refresh(IndexRecord device, IndexChanges changes)
    {
        var updated = WithDeviceState(device, null);
        if (updated.Online == device.Online && updated.Stale == device.Stale) return;
        Devices.Set(updated);
        changes.Upsert(updated);
    }

    private IndexRecord WithDeviceState(IndexRecord device, bool? connectedInProps)
    {
        bool stale;
        if (device.Station is null) stale = _caughtUp;
        else if (Stations.TryGet(new(device.Station, null), out var station)) stale = !station.Online;
        else stale = _caughtUp;
        var available = device.Availability ?? connectedInProps ?? device.Online;
        return device with { Stale = stale, Online = available && !stale };
    }

    private static IndexRecord WithStationState(IndexRecord station)
    {
        var online = station.Availability ?? false;
        return station with { Online = online, Stale = !online };
    }

    private void Link(string station, string device)
    {
        if (!_devicesByStation.TryGetValue(station, out var set)) _devicesByStation[station] = set = new HashSet<string>(StringComparer.Ordinal);
        set.Add(device);
    }

    private void Unlink(string station, string device)
    {
        if (_devicesByStation.TryGetValue(station, out var set) && set.Remove(device) && set.Count == 0) _devicesByStation.Remove(station);
    }

    public void Dispose() => _lock.Dispose();
}
