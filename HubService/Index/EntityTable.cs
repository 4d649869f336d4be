namespace MqttIoT.Hub.Index;

/// <summary>The records of one kind (stations or devices) by id, with the ids kept sorted for paging in id order.</summary>
internal sealed class EntityTable
{
    private readonly Dictionary<string, IndexRecord> _byId = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _ids = new(StringComparer.Ordinal);

    public int Count => _byId.Count;

    /// <summary>Every record, in no order (the dictionary's own collection: its struct enumerator keeps a scan of 100,000 cheap).</summary>
    public Dictionary<string, IndexRecord>.ValueCollection Records => _byId.Values;

    public bool TryGet(string id, out IndexRecord record) => _byId.TryGetValue(id, out record!);

    public void Set(IndexRecord record)
    {
        if (_byId.TryAdd(record.Id, record)) _ids.Add(record.Id);
        else _byId[record.Id] = record;
    }

    public bool Remove(string id)
    {
        if (!_byId.Remove(id)) return false;
        _ids.Remove(id);
        return true;
    }

    /// <summary>Ids in order, strictly after <paramref name="after"/> when given (strictly before, when descending).</summary>
    public IEnumerable<string> Ids(string? after, bool descending)
    {
        if (_ids.Count == 0) return [];
        IEnumerable<string> view;
        if (after is null) view = _ids;
        else if (!descending)
        {
            if (string.CompareOrdinal(after, _ids.Max) >= 0) return [];
            view = string.CompareOrdinal(after, _ids.Min) < 0 ? _ids : _ids.GetViewBetween(after, _ids.Max!);
        }
        else
        {
            if (string.CompareOrdinal(after, _ids.Min) <= 0) return [];
            view = string.CompareOrdinal(after, _ids.Max) > 0 ? _ids : _ids.GetViewBetween(_ids.Min!, after);
        }
        if (descending) view = view is SortedSet<string> set ? set.Reverse() : view.Reverse();
        return after is null ? view : view.Where(id => !string.Equals(id, after, StringComparison.Ordinal));
    }
}
