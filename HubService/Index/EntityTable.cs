using System.Runtime.InteropServices;

namespace MqttIoT.Hub.Index;

/// <summary>The records of one kind (stations or devices) by key, with the keys kept sorted for paging in id order.</summary>
internal sealed class EntityTable
{
    private readonly Dictionary<RecordKey, IndexRecord> _byKey = [];
    private readonly SortedSet<RecordKey> _keys = new(RecordKey.Order);
    // Devices: the stations holding each id (usually one), for GET_DEVICE by id alone.
    private readonly Dictionary<string, List<string?>> _stationsOf = new(StringComparer.Ordinal);

    public int Count => _byKey.Count;

    /// <summary>Secondary indexes over props paths, kept in step with every <see cref="Set"/> and <see cref="Remove"/>.</summary>
    public FieldIndexSet Indexes { get; } = new();

    /// <summary>Every record, in no order (the dictionary's own collection: its struct enumerator keeps a scan of 100,000 cheap).</summary>
    public Dictionary<RecordKey, IndexRecord>.ValueCollection Records => _byKey.Values;

    public bool TryGet(RecordKey key, out IndexRecord record) => _byKey.TryGetValue(key, out record!);

    /// <summary>Every record with this id, in station order: one for a station, one per holding station for a device.</summary>
    public IEnumerable<IndexRecord> WithId(string id) =>
        _stationsOf.TryGetValue(id, out var stations) ? stations.Order(StringComparer.Ordinal).Select(s => _byKey[new(id, s)]) : [];

    public void Set(IndexRecord record)
    {
        var key = record.Key;
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_byKey, key, out var exists);
        var old = slot;
        slot = record;
        if (exists)
        {
            Indexes.Replaced(old!, record);
            return;
        }
        _keys.Add(key);
        if (!_stationsOf.TryGetValue(key.Id, out var stations)) _stationsOf[key.Id] = stations = new List<string?>(1);
        stations.Add(key.Station);
        Indexes.Added(record);
    }

    public bool Remove(RecordKey key)
    {
        if (!_byKey.Remove(key, out var old)) return false;
        Indexes.Removed(old);
        _keys.Remove(key);
        if (_stationsOf.TryGetValue(key.Id, out var stations) && stations.Remove(key.Station) && stations.Count == 0) _stationsOf.Remove(key.Id);
        return true;
    }

    /// <summary>Keys in order, strictly after <paramref name="after"/> when given (strictly before, when descending).</summary>
    public IEnumerable<RecordKey> Keys(RecordKey? after, bool descending)
    {
        if (_keys.Count == 0) return [];
        IEnumerable<RecordKey> view;
        if (after is not { } a) view = _keys;
        else if (!descending)
        {
            if (a.CompareTo(_keys.Max) >= 0) return [];
            view = a.CompareTo(_keys.Min) < 0 ? _keys : _keys.GetViewBetween(a, _keys.Max);
        }
        else
        {
            if (a.CompareTo(_keys.Min) <= 0) return [];
            view = a.CompareTo(_keys.Max) > 0 ? _keys : _keys.GetViewBetween(_keys.Min, a);
        }
        if (descending) view = view is SortedSet<RecordKey> set ? set.Reverse() : view.Reverse();
        return after is not { } cursor ? view : view.Where(k => k != cursor);
    }
}
